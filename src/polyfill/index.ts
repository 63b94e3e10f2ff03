/**
 * The shared-everything-threads JS API for engines that lack it (threading-models.md section 5):
 * thread-local globals and function wrappers, ThreadBoundData, shared numeric globals and wait
 * queues. No engine has these natively today. The emulation rests on what threaded toolchains already
 * do, one instance per worker: an ordinary mutable global in that worker's instance is per-thread.
 *
 * Realm-local, not thread-local. JavaScript runs in realms, and one thread (agent) can host several:
 * two same-origin iframes on one thread are two realms. Each realm runs its own copy of this code
 * and keeps its own state, so everything here is per realm:
 * - a thread-local global has one value per realm, and two iframes on one thread see two values
 *   (the proposal's thread-local globals would share one);
 * - a thread-local function wrapper is initialised once per realm, so each iframe binds its own;
 * - `ThreadBoundData.get()` works only in the realm that made it, and throws in a sibling iframe
 *   although the proposal would allow it there (same agent).
 * Within one realm, two copies of this code (say the SDK bundle and `/v1/polyfills.js`) share state.
 * Between workers, realm-local and thread-local coincide: a worker has exactly one realm.
 *
 * Other limits of the emulation, each documented where it lives: handles are plain objects, not
 * shared JS objects (they travel by structured clone and are revived by id); a thread-local function
 * wrapper is not itself callable (its `function()` is); a `SharedGlobal` is JS-only and cannot be a
 * wasm global import; `SharedGlobal` and `WaitQueue` need `threads` (SharedArrayBuffer).
 *
 * Each polyfill is its own file importing only `./tag.js`, so a bundle of some of them carries no
 * other: `thread-local-global.ts`, `thread-local-function.ts`, `thread-bound-data.ts`,
 * `shared-global.ts`, `wait-queue.ts`; `imports.ts` adds import-object resolution for the first two.
 * `installWith` (install.ts) takes only the installers a `/v1/polyfills.js?need=` bundle names.
 */

export type { PolyfillName } from '../profile/polyfills.js';
export { type Imports, instantiate, resolveImports } from './imports.js';
export { type Installer, type InstallReport, installPolyfills, installWith } from './install.js';
export { revive } from './revive.js';
export {
  isSharedGlobal,
  SharedGlobal,
  type SharedGlobalDescriptor,
  type SharedValueType,
} from './shared-global.js';
export type { Tagged } from './tag.js';
export { isThreadBoundData, ThreadBoundData } from './thread-bound-data.js';
export { type FunctionType, isThreadLocalFunction, ThreadLocalFunction } from './thread-local-function.js';
export {
  createThreadLocalGlobal,
  type GlobalValue,
  isThreadLocalGlobal,
  ThreadLocalGlobal,
  type ThreadLocalGlobalDescriptor,
  type ThreadLocalValueType,
} from './thread-local-global.js';
export { isWaitQueue, type WaitAsyncResult, WaitQueue, type WaitResult } from './wait-queue.js';
