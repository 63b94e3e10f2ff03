/**
 * Shared-everything threads, part by part (threading-models.md section 3). Each part is its own
 * probe module with its negative control where one exists; nothing is inferred from another part.
 */
import { nativeSharedGlobal, nativeThreadLocal } from './native-api.js';
import { PROBE_BYTES } from './probe-bytes.js';
import { canPost, probeModule, validates } from './util.js';

/** Instantiates the probe, makes a shared struct and posts it: conveyance is what running SET on threads needs. */
export function setThreads(): boolean {
  if (!validates('set-types')) return false;
  // Synchronous compile of a 50-byte module: allowed on browser main threads; refused by workerd.
  // (workerd's types declare Instance abstract for that reason; the probe code is the same everywhere.)
  const wasm = WebAssembly as unknown as {
    Module: new (bytes: Uint8Array<ArrayBuffer>) => WebAssembly.Module;
    Instance: new (module: WebAssembly.Module) => WebAssembly.Instance;
  };
  const instance = new wasm.Instance(new wasm.Module(probeModule(PROBE_BYTES['set-threads'][0])));
  return canPost((instance.exports.n as () => unknown)());
}

/** The proposal's JS API is real only if a shared Global says so (native-api.ts, shared with the polyfill). */
export const setJsApi = (): boolean => nativeSharedGlobal();

/** Native thread-local globals: only their JS API can show them (native-api.ts). */
export const setThreadLocal = (): boolean => nativeThreadLocal();
