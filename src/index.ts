// weft's pure core, shared by the probe, the SDK and the server.

export { InspectError, type InspectReport, inspect } from './inspect/index.js';
export * from './profile/caps.js';
export * from './profile/codec.js';
export * from './profile/polyfills.js';
export * from './profile/select.js';
