/**
 * Shared-everything threads, part by part (threading-models.md section 3). Each part is its own
 * probe module with its negative control where one exists; nothing is inferred from another part.
 */
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

// weft's polyfill keeps the engine's own constructor behind its wrappers: ask that one, so a
// polyfill installed in this realm is never taken for the native API.
const NATIVE = Symbol.for('weft.polyfill.native');
const own = <T>(member: T): T => (member as { [NATIVE]?: T } | undefined)?.[NATIVE] ?? member;

/** The proposal's JS API is real only if a shared Global says so: the constructor ignores unknown keys. */
export function setJsApi(): boolean {
  const desc = { value: 'i32', mutable: true, shared: true } as WebAssembly.GlobalDescriptor;
  return (new (own(WebAssembly.Global))(desc, 0) as { shared?: unknown }).shared === true;
}

/**
 * Thread-local globals have no binary encoding yet, so validation cannot see them. The only native
 * evidence is the JS API: a thread-local `WebAssembly.Function` carrying `initialize`. No engine has it
 * today, so this is absent everywhere until one does (the polyfill fills the gap).
 */
export function setThreadLocal(): boolean {
  const Fn = own(
    (WebAssembly as { Function?: new (t: unknown, f: () => void, o: unknown) => object }).Function,
  );
  if (typeof Fn !== 'function') return false;
  const wrapper = new Fn({ parameters: [], results: [] }, () => {}, { 'thread-local': true });
  return typeof (wrapper as { initialize?: unknown }).initialize === 'function';
}
