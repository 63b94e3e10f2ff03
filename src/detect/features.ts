/**
 * wasm-feature-detect's detectors that it does not answer by validation, under the contract's names,
 * from the modules of probe-bytes.ts captured from it: the same modules, checked the same way,
 * except that the two it instantiates asynchronously are instantiated synchronously here (tiny
 * modules, allowed on every main thread, and no task hop). Starting all five asynchronously before
 * the synchronous checks, so the engine compiles them off the main thread, cost 42 B gzip and showed
 * no gain the bench could tell from noise on a loaded 2-core machine: left out. A detector that
 * throws means absent.
 */
import type { Capability } from '../profile/caps.js';
import { check, compile, instantiate } from './util.js';

/** wasm-feature-detect's detectors that need no module: a member of the `WebAssembly` namespace. */
export const FEATURE_MEMBERS = {
  jspi: 'Suspending',
  'streaming-compilation': 'compileStreaming',
  'type-reflection': 'Function',
} as const;

/** Adds the answers of the compiled (`!`) and instantiated modules and the namespace members to `found`. */
export function detectFeatures(
  found: Record<string, boolean>,
  table: Partial<Record<Capability, string>>,
): void {
  // A field's mark is dropped before its hex is decoded.
  const hex = (cap: Capability) => table[cap]!.slice(1);
  for (const cap in table)
    if (table[cap as Capability]![0] === '!') found[cap] = check(() => compile(hex(cap as Capability)));
  found.bigint = check(() => (instantiate(hex('bigint')).exports.b as (n: bigint) => bigint)(0n) === 0n);
  found['js-string-builtins'] = check(() =>
    instantiate(hex('js-string-builtins'), { builtins: ['js-string'] }),
  );
  for (const [cap, member] of Object.entries(FEATURE_MEMBERS))
    found[cap] = check(() => member in WebAssembly);
}
