/**
 * Thread-local function wrappers (the proposal's `new WebAssembly.Function(type, fn,
 * {'thread-local': true})`): one wrapper, posted to every thread, bound to a different JS function on
 * each. Unbound it behaves like calling null: it throws.
 */
import { isTagged, newId, realmMap } from './tag.js';

const KIND = 'thread-local-function';

/** A wasm function type in type reflection's shape: `{ parameters: ['i32'], results: [] }`. */
export interface FunctionType {
  parameters: string[];
  results: string[];
}

type Fn = (...args: never[]) => unknown;

/**
 * A thread-local function wrapper. It travels by `postMessage` as the plain object
 * `{ __weft: 'thread-local-function', id, type }`; {@link ThreadLocalFunction.revive} gives back the
 * wrapper with the same id, uninitialised in a realm that has not called `initialize` yet.
 */
export class ThreadLocalFunction<F extends Fn = (...args: unknown[]) => unknown> {
  readonly __weft = KIND;
  readonly id: string;
  /** The wasm type, if known: then `function()` is a real `WebAssembly.Function` where the engine has one. */
  readonly type: FunctionType | null;

  /** Initialises the constructing realm with `fn`, unless `fn` is null (as the proposal says). */
  constructor(fn: F | null, type?: FunctionType) {
    this.id = newId();
    this.type = type ?? null;
    Object.freeze(this);
    realmMap<ThreadLocalFunction<Fn>>(KIND).set(this.id, this);
    if (fn !== null) this.initialize(fn);
  }

  /** The wrapper for a posted (cloned) or live one: same id, and in one realm always the same object. */
  static revive<F extends Fn = (...args: unknown[]) => unknown>(value: unknown): ThreadLocalFunction<F> {
    if (!isThreadLocalFunction(value)) throw new TypeError('not a thread-local function wrapper');
    const wrappers = realmMap<ThreadLocalFunction<Fn>>(KIND);
    let wrapper = wrappers.get(value.id);
    if (!wrapper) {
      wrapper = Object.create(ThreadLocalFunction.prototype) as ThreadLocalFunction<Fn>;
      Object.assign(wrapper, { __weft: KIND, id: value.id, type: value.type ?? null });
      wrappers.set(value.id, Object.freeze(wrapper));
    }
    return wrapper as ThreadLocalFunction<F>;
  }

  /** Whether this realm has bound the wrapper. */
  get initialized(): boolean {
    return bindings().has(this.id);
  }

  /** Binds the wrapper on this realm; throws if this realm already bound it. */
  initialize(fn: F): void {
    if (typeof fn !== 'function') throw new TypeError('thread-local function: initialize() takes a function');
    if (bindings().has(this.id)) {
      throw new TypeError(`thread-local function ${this.id} is already initialized on this thread/realm`);
    }
    bindings().set(this.id, fn);
  }

  /** Calls this realm's binding; throws a TypeError while this realm has none. */
  invoke(...args: Parameters<F>): ReturnType<F> {
    return callBinding(this.id, args) as ReturnType<F>;
  }

  /**
   * This realm's callable for the wrapper, the same object every time: what a module imports. It
   * looks the binding up at call time, so a module instantiated before `initialize` still sees it.
   */
  function(): F {
    const cache = realmMap<F>(`${KIND}:callables`);
    let callable = cache.get(this.id);
    if (!callable) {
      const id = this.id;
      const trampoline = (...args: unknown[]) => callBinding(id, args);
      const WasmFunction = (WebAssembly as { Function?: new (type: FunctionType, fn: Fn) => F }).Function;
      callable =
        this.type && typeof WasmFunction === 'function'
          ? new WasmFunction(this.type, trampoline)
          : (trampoline as unknown as F);
      cache.set(id, callable);
    }
    return callable;
  }
}

/** Live wrapper or its cloned form. */
export function isThreadLocalFunction(
  value: unknown,
): value is { __weft: typeof KIND; id: string; type?: FunctionType | null } {
  return isTagged(value, KIND) && typeof value.id === 'string';
}

function bindings(): Map<string, Fn> {
  return realmMap<Fn>(`${KIND}:bindings`);
}

function callBinding(id: string, args: unknown[]): unknown {
  const fn = bindings().get(id) as ((...a: unknown[]) => unknown) | undefined;
  if (!fn) {
    throw new TypeError(
      `thread-local function ${id} is not initialized on this thread/realm: call initialize(fn) here first`,
    );
  }
  return fn(...args);
}
