/**
 * Every capability the generated modules answer (probe-bytes.ts), each by its field's mark:
 * validated with its negative control (no mark), compiled (`!`, as wasm-feature-detect does),
 * instantiated with the js-string builtins (`*`), conveyed (`#`, shared-everything.ts), answered by
 * the baseline module validating (`+`) or passing a BigInt through its instance (`=`, bigint), or a
 * member of the `WebAssembly` namespace (`.`, wasm-feature-detect's detectors that need no module). wasm-feature-detect instantiates asynchronously; the probe does so
 * synchronously (tiny modules, allowed on every main thread, and no task hop). Starting them
 * asynchronously before the synchronous checks cost 42 B gzip and showed no gain the bench could
 * tell from noise on a loaded 2-core machine: left out. A detector that throws means absent.
 */
import { CAPABILITIES, type Capability } from '../profile/caps.js';
import { BASELINE, MODULES } from './probe-bytes.js';
import { setThreads } from './shared-everything.js';
import { check, compile, instantiate, validates } from './util.js';

/** Adds the answer of every capability that has a field and that `wanted` asks for to `found`, in registry order. */
export function detectModules(found: Record<string, boolean>, wanted: (cap: Capability) => boolean): void {
  const fields = MODULES.split(',');
  // One module for the features of the ~2021 baseline (scripts/probes/baseline.ts), validated once.
  const baseline = check(() => validates(BASELINE));
  CAPABILITIES.forEach((cap, i) => {
    const field = fields[i]!;
    const [mark, rest] = [field[0], field.slice(1)];
    if (field && wanted(cap))
      found[cap] =
        mark === '+'
          ? baseline
          : check(() =>
              mark === '!'
                ? compile(rest)
                : mark === '*'
                  ? instantiate(rest, { builtins: ['js-string'] })
                  : mark === '='
                    ? (instantiate(BASELINE).exports.b as (n: bigint) => bigint)(0n) === 0n
                    : mark === '#'
                      ? setThreads(rest, found['set-types']!)
                      : mark === '.'
                        ? rest in WebAssembly
                        : validates(field),
            );
  });
}
