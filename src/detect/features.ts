/**
 * wasm-feature-detect's detectors that it does not answer by validation, under the contract's names,
 * from the modules of probe-bytes.ts captured from it: the same modules, checked the same way, and
 * started before the probe's synchronous checks, so the engine compiles them off the main thread
 * while those run (`WebAssembly.compile` accepts exactly what `new WebAssembly.Module`, which
 * wasm-feature-detect uses for these, accepts). A detector that throws or rejects means absent.
 */
import type { Capability } from '../profile/caps.js';
import { check, probeModule } from './util.js';

/** wasm-feature-detect's detectors that need no module: a member of the `WebAssembly` namespace. */
export const FEATURE_MEMBERS = {
  jspi: 'Suspending',
  'streaming-compilation': 'compileStreaming',
  'type-reflection': 'Function',
} as const;

/**
 * Starts the compiled (`!`) and instantiated modules and sets the namespace members in `found`;
 * the promise settles once every answer is in `found`.
 */
export function detectFeatures(
  found: Record<string, boolean>,
  table: Partial<Record<Capability, string>>,
): Promise<unknown> {
  const settle = (cap: string, detector: (bytes: Uint8Array<ArrayBuffer>) => Promise<unknown>) =>
    detector(probeModule(table[cap as Capability]!.slice(1))).then(
      (v) => (found[cap] = !!v),
      () => (found[cap] = false),
    );
  for (const [cap, member] of Object.entries(FEATURE_MEMBERS))
    found[cap] = check(() => member in WebAssembly);
  return Promise.all([
    ...Object.keys(table)
      .filter((cap) => table[cap as Capability]![0] === '!')
      .map((cap) => settle(cap, async (bytes) => WebAssembly.compile(bytes))),
    settle('bigint', async (bytes) => {
      const { instance } = await WebAssembly.instantiate(bytes);
      return (instance.exports.b as (n: bigint) => bigint)(0n) === 0n;
    }),
    settle('js-string-builtins', async (bytes) =>
      WebAssembly.instantiate(bytes, {}, { builtins: ['js-string'] } as object),
    ),
  ]);
}
