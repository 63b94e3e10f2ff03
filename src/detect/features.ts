/**
 * wasm-feature-detect's detectors under the contract's names (its own `threads` is superseded by
 * ours), from the modules of probe-bytes.ts captured from it: the same modules, checked the same way
 * (those it validates are in PROBE_BYTES with weft's own), except that the two it instantiates
 * asynchronously are instantiated synchronously here (tiny modules, allowed on every main thread,
 * and no task hop). A detector that throws means absent.
 */
import { BIGINT_BYTES, COMPILED_BYTES, STRING_BUILTINS_BYTES } from './probe-bytes.js';
import { check, compile, instantiate } from './util.js';

/** wasm-feature-detect's detectors that need no module: a member of the `WebAssembly` namespace. */
export const FEATURE_MEMBERS = {
  jspi: 'Suspending',
  'streaming-compilation': 'compileStreaming',
  'type-reflection': 'Function',
} as const;

/** Adds the answers of the detectors PROBE_BYTES does not cover to `found`. */
export function detectFeatures(found: Record<string, boolean>): void {
  for (const [cap, bytes] of Object.entries(COMPILED_BYTES)) found[cap] = check(() => compile(bytes));
  found.bigint = check(() => (instantiate(BIGINT_BYTES).exports.b as (n: bigint) => bigint)(0n) === 0n);
  found['js-string-builtins'] = check(() => instantiate(STRING_BUILTINS_BYTES, { builtins: ['js-string'] }));
  for (const [cap, member] of Object.entries(FEATURE_MEMBERS)) found[cap] = member in WebAssembly;
}
