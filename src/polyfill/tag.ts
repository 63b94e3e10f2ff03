/**
 * What every polyfill shares: the tagged plain form that survives `postMessage`, fresh ids, and the
 * state this realm keeps per id. Small on purpose: each polyfill file imports only this.
 */

/** The structured-clone form of every polyfill object: a plain object tagged with its kind. */
export interface Tagged<K extends string = string> {
  readonly __weft: K;
}

/** True for a polyfill object of kind `kind`, live or as it arrives from `postMessage`. */
export function isTagged<K extends string>(
  value: unknown,
  kind: K,
): value is Tagged<K> & Record<string, unknown> {
  return typeof value === 'object' && value !== null && (value as Partial<Tagged>).__weft === kind;
}

/** A 128-bit random id: unique across threads and realms without any coordination between them. */
export function newId(): string {
  const bytes = new Uint8Array(16);
  if (typeof crypto === 'object' && typeof crypto.getRandomValues === 'function') {
    crypto.getRandomValues(bytes);
  } else {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

interface RealmState {
  readonly id: string;
  readonly maps: Map<string, Map<string, unknown>>;
}

// Kept on this realm's globalThis under a registered symbol, so two copies of the polyfill loaded
// into one realm (say the SDK bundle and /v1/polyfills.js) still share one cell per id. The symbol
// registry is shared by all realms of an agent, but each realm has its own globalThis.
const STATE = Symbol.for('weft.polyfill.realm/v1');

function state(): RealmState {
  const host = globalThis as { [STATE]?: RealmState };
  let s = host[STATE];
  if (!s) {
    s = { id: newId(), maps: new Map() };
    Object.defineProperty(host, STATE, { value: s, configurable: false, enumerable: false, writable: false });
  }
  return s;
}

/** This realm's id: the "thread" a `ThreadBoundData` compares against (realm-local, see index.ts). */
export function realmId(): string {
  return state().id;
}

/** This realm's map named `name`, from id to what this realm keeps for that id. */
export function realmMap<V>(name: string): Map<string, V> {
  const { maps } = state();
  let map = maps.get(name);
  if (!map) {
    map = new Map();
    maps.set(name, map);
  }
  return map as Map<string, V>;
}

/** Marks what the polyfill put on `WebAssembly`, so it is never mistaken for a native implementation. */
export const POLYFILLED = Symbol.for('weft.polyfill');

export function isPolyfilled(value: unknown): boolean {
  return (
    (typeof value === 'function' || (typeof value === 'object' && value !== null)) &&
    (value as { [POLYFILLED]?: unknown })[POLYFILLED] === true
  );
}

/** The SAB-backed polyfills need `threads`: say so, rather than "SharedArrayBuffer is not defined". */
export function requireSharedMemory(what: string): void {
  if (typeof SharedArrayBuffer !== 'function') {
    throw new TypeError(
      `${what} needs SharedArrayBuffer (the \`threads\` capability): ` +
        'a cross-origin-isolated page, a worker of one, or Node',
    );
  }
}
