/**
 * Whether the engine itself has the shared-everything JS API: one check, asked by the probe
 * (set-js-api, set-thread-local) and by the polyfill before it installs anything (so a native
 * implementation is never shadowed). weft's polyfill wrappers keep the engine's own constructor
 * under NATIVE, and these checks ask that one, so a polyfill is never taken for the native API.
 */
export const NATIVE = Symbol.for('weft.polyfill.native');

/** The engine's own member behind a wrapper of weft's polyfill (or the member itself). */
export const own = <T>(member: T): T => (member as { [NATIVE]?: T } | undefined)?.[NATIVE] ?? member;

type Namespace = Record<string, unknown>;

/** A shared Global says so (`shared === true`): the constructor ignores unknown keys, so not throwing proves nothing. */
export function nativeSharedGlobal(wasm: Namespace = WebAssembly as unknown as Namespace): boolean {
  // A missing constructor throws inside the try: absent.
  const Global = own(wasm.Global) as new (d: unknown, v: unknown) => { shared?: unknown };
  try {
    return new Global({ value: 'i32', mutable: true, shared: true }, 0).shared === true;
  } catch {
    return false;
  }
}

/**
 * Thread-local globals have no binary encoding yet; the only native evidence is the JS API: a
 * thread-local `WebAssembly.Function` carrying `initialize`. No engine has it today.
 */
export function nativeThreadLocal(wasm: Namespace = WebAssembly as unknown as Namespace): boolean {
  const Fn = own(wasm.Function) as new (t: unknown, f: unknown, o: unknown) => object;
  // Asked first, not left to the catch: V8 builds the "is not a constructor" message by reparsing
  // the calling code, which costs milliseconds in a bundle (Chromium has no WebAssembly.Function).
  if (!Fn) return false;
  try {
    const wrapper = new Fn({ parameters: [], results: [] }, () => {}, { 'thread-local': true });
    return typeof (wrapper as { initialize?: unknown }).initialize === 'function';
  } catch {
    return false;
  }
}
