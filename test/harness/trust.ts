/**
 * Shared by the trust tests, one file per concern: fixtures, raw clients and the app-twice
 * harness, the sandbox, the oracle, hostile-input generators.
 */
export * from './clients.js';
export * from './fixtures.js';
export * from './hostile.js';
export * from './oracle.js';
export * from './sandbox.js';
