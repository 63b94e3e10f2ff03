/**
 * `installPolyfills`: puts the proposal's JS API surface on `WebAssembly` where the probe found it
 * missing, and only there; a native implementation is never shadowed. The decisions live here, the
 * wrappers in patch.ts.
 */

import { nativeSharedGlobal, nativeThreadLocal } from '../detect/native-api.js';
import type { Capability, Profile } from '../profile/caps.js';
import { POLYFILLS, type PolyfillName } from '../profile/polyfills.js';
import { define, type Namespace, patchFunction, patchGlobal, patchInstantiation } from './patch.js';
import type { SharedGlobal } from './shared-global.js';
import { isPolyfilled } from './tag.js';
import { ThreadBoundData } from './thread-bound-data.js';
import type { ThreadLocalFunction } from './thread-local-function.js';
import type { ThreadLocalGlobal } from './thread-local-global.js';
import { WaitQueue } from './wait-queue.js';

/** What `installPolyfills` did, each list in the registry order of `POLYFILLS`. */
export interface InstallReport {
  /** Put in place by weft (now or by an earlier call). */
  installed: PolyfillName[];
  /** The engine has it: left alone. */
  native: PolyfillName[];
  /** Neither: see `reasons`. */
  skipped: PolyfillName[];
  reasons: Partial<Record<PolyfillName, string>>;
}

type Outcome = 'installed' | 'native' | { skipped: string };
/** One polyfill's decision and patch for this engine. */
export type Installer = (caps: Set<Capability>, wasm: Namespace) => Outcome;
const NO_THREADS = { skipped: 'needs `threads` (SharedArrayBuffer usable across threads)' };

export const installThreadLocalGlobal: Installer = (caps, wasm) => {
  if (caps.has('set-thread-local') || nativeThreadLocal(wasm)) return 'native';
  patchGlobal(wasm, 'thread-local');
  patchInstantiation(wasm);
  return 'installed';
};

// Extends WebAssembly.Function only where type reflection provides one: inventing it would make
// glue such as Emscripten's believe type reflection is there. Wrappers work as imports either way.
export const installThreadLocalFunction: Installer = (caps, wasm) => {
  if (caps.has('set-thread-local') || nativeThreadLocal(wasm)) return 'native';
  if (typeof wasm.Function === 'function') patchFunction(wasm);
  patchInstantiation(wasm);
  return 'installed';
};

export const installThreadBoundData: Installer = (_caps, wasm) =>
  define(wasm, 'ThreadBoundData', ThreadBoundData);

export const installSharedGlobal: Installer = (caps, wasm) => {
  if (caps.has('set-js-api') || nativeSharedGlobal(wasm)) return 'native';
  if (!caps.has('threads') || typeof SharedArrayBuffer !== 'function') return NO_THREADS;
  patchGlobal(wasm, 'shared');
  return 'installed';
};

export const installWaitQueue: Installer = (caps, wasm) => {
  if (wasm.WaitQueue !== undefined && !isPolyfilled(wasm.WaitQueue)) return 'native';
  if (!caps.has('threads') || typeof SharedArrayBuffer !== 'function') return NO_THREADS;
  return define(wasm, 'WaitQueue', WaitQueue);
};

/**
 * Installs the `needed` polyfills (all by default) that `profile` says are missing, and reports what
 * it did. Idempotent. Never installs `shared-global` or `wait-queue` without `threads`. Installed:
 * `new WebAssembly.Global({..., 'thread-local': true})` returns a {@link ThreadLocalGlobal} and
 * `{..., shared: true}` a {@link SharedGlobal}; `new WebAssembly.Function(type, fn, {'thread-local':
 * true})` (where the engine has `WebAssembly.Function`) a {@link ThreadLocalFunction};
 * `WebAssembly.instantiate`, `instantiateStreaming` and `Instance` resolve those handles in import
 * objects; `WebAssembly.ThreadBoundData` and `WebAssembly.WaitQueue` are defined.
 * Probe before installing: a detector run afterwards may take the polyfill for the real thing.
 *
 * @example
 * import { probe } from 'weft/detect';
 * import { installPolyfills } from 'weft/polyfill';
 * const report = installPolyfills(await probe(), ['thread-local-global']);
 * report.installed; // ['thread-local-global'] where the engine has no native thread-local globals
 */
export function installPolyfills(
  profile: Profile,
  needed: readonly PolyfillName[] = POLYFILLS,
): InstallReport {
  return installWith(
    {
      'thread-local-global': installThreadLocalGlobal,
      'thread-local-function': installThreadLocalFunction,
      'thread-bound-data': installThreadBoundData,
      'shared-global': installSharedGlobal,
      'wait-queue': installWaitQueue,
    },
    profile,
    needed,
  );
}

/**
 * `installPolyfills` with only some installers: a `/v1/polyfills.js?need=` bundle names just its
 * own, so it carries no other polyfill. A needed name without an installer is skipped and says so.
 */
export function installWith(
  installers: Partial<Record<PolyfillName, Installer>>,
  profile: Profile,
  needed: readonly PolyfillName[] = POLYFILLS,
): InstallReport {
  const report: InstallReport = { installed: [], native: [], skipped: [], reasons: {} };
  const caps = new Set(profile.caps);
  for (const name of POLYFILLS.filter((n) => needed.includes(n))) {
    const install = installers[name];
    const outcome: Outcome = !install
      ? { skipped: 'not in this bundle' }
      : typeof WebAssembly === 'object'
        ? install(caps, WebAssembly as unknown as Namespace)
        : { skipped: 'no WebAssembly here' };
    if (typeof outcome === 'string') report[outcome].push(name);
    else {
      report.skipped.push(name);
      report.reasons[name] = outcome.skipped;
    }
  }
  return report;
}

// The profile is the probe's word; the engine is asked as well (detect/native-api.ts, the probe's own
// check), so a stale or hand-made profile can never make the polyfill shadow a native implementation.
