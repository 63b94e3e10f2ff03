/**
 * `shared-memory` versus `threads` (threading-models.md section 2): validating a shared-memory module
 * proves only `shared-memory`. `threads` also needs a worker API, a cross-origin-isolated page in
 * browsers, and a shared `WebAssembly.Memory` that can really be posted to another agent.
 */
import type { Host } from '../profile/caps.js';
import { canPost } from './util.js';

export function hasWorkers(host: Host): boolean {
  // Asking node:module (loaded at start-up) is enough to know; loading worker_threads itself costs
  // a few milliseconds, left to the deep checks that start workers.
  if (host === 'node') {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const mod = proc?.getBuiltinModule?.('node:module') as
      | { isBuiltin?: (id: string) => boolean }
      | undefined;
    return mod?.isBuiltin?.('node:worker_threads') === true;
  }
  return typeof (globalThis as { Worker?: unknown }).Worker === 'function';
}

/** `sharedMemory`: the shared-memory module validated (the probe has just asked). */
export function hasThreads(host: Host, sharedMemory: boolean): boolean {
  if (!sharedMemory || !hasWorkers(host)) return false;
  // undefined outside browsers; false on a page without COOP/COEP.
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  return canPost(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
}
