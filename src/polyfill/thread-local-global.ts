/**
 * Thread-local globals (the proposal's `new WebAssembly.Global({..., 'thread-local': true})`) on
 * engines without them: a postable handle that resolves, in each realm, to that realm's own real
 * `WebAssembly.Global`. With one instance per worker, that Global is what the instance imports, so
 * wasm `global.get`/`global.set` and JS `handle.value` see the same per-thread cell.
 */
import { isTagged, newId, realmMap } from './tag.js';

const KIND = 'thread-local-global';

/** The value types a thread-local global may hold (defaultable ones, as the proposal requires). */
export type ThreadLocalValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'externref' | 'anyfunc' | 'anyref';

/** What `.value` holds for a value type: the JS API's conversions. */
export type GlobalValue<T extends ThreadLocalValueType> = T extends 'i64'
  ? bigint
  : T extends 'i32' | 'f32' | 'f64'
    ? number
    : unknown;

export interface ThreadLocalGlobalDescriptor<T extends ThreadLocalValueType = ThreadLocalValueType> {
  value: T;
  /** Defaults to true: an immutable thread-local global could only ever hold its default value. */
  mutable?: boolean;
}

const TYPES: readonly string[] = ['i32', 'i64', 'f32', 'f64', 'externref', 'anyfunc', 'anyref'];
const NUMERIC: readonly string[] = ['i32', 'i64', 'f32', 'f64'];

/**
 * A thread-local global. Post it anywhere (`postMessage`, `workerData`): it travels as the plain
 * object `{ __weft: 'thread-local-global', id, type, mutable }` and {@link ThreadLocalGlobal.revive}
 * (or `resolveImports`) turns it back into the handle with the same id. Each realm's cell starts at
 * the type's default value (0, 0n, null) on first use.
 */
export class ThreadLocalGlobal<T extends ThreadLocalValueType = ThreadLocalValueType> {
  readonly __weft = KIND;
  /** The same in every thread and realm: the global's identity. */
  readonly id: string;
  readonly type: T;
  readonly mutable: boolean;

  /**
   * `value`, when given, initialises the constructing realm only (as the proposal's function
   * wrappers initialise their constructing thread); every other realm starts at the default.
   */
  constructor(desc: ThreadLocalGlobalDescriptor<T>, ...value: [] | [GlobalValue<T>]) {
    if (!TYPES.includes(desc?.value)) {
      throw new TypeError(`thread-local global: unsupported type ${String(desc?.value)}`);
    }
    this.id = newId();
    this.type = desc.value;
    this.mutable = desc.mutable ?? true;
    Object.freeze(this);
    realmMap<ThreadLocalGlobal>(KIND).set(this.id, this as ThreadLocalGlobal);
    if (value.length > 0) cellOf(this, value);
  }

  /** The handle for a posted (cloned) or live one: same id, and in one realm always the same object. */
  static revive<T extends ThreadLocalValueType = ThreadLocalValueType>(value: unknown): ThreadLocalGlobal<T> {
    if (!isThreadLocalGlobal(value)) throw new TypeError('not a thread-local global handle');
    const handles = realmMap<ThreadLocalGlobal>(KIND);
    const known = handles.get(value.id);
    if (known) {
      if (known.type !== value.type || known.mutable !== value.mutable) {
        throw new TypeError(`thread-local global ${value.id} arrived with a different type`);
      }
      return known as ThreadLocalGlobal<T>;
    }
    const handle = Object.create(ThreadLocalGlobal.prototype) as ThreadLocalGlobal;
    Object.assign(handle, { __weft: KIND, id: value.id, type: value.type, mutable: value.mutable });
    handles.set(value.id, Object.freeze(handle));
    return handle as ThreadLocalGlobal<T>;
  }

  /**
   * This realm's own `WebAssembly.Global` for this handle: made at the default value on first use,
   * then always the same object. This is what a module instantiated in this realm imports.
   */
  global(): WebAssembly.Global {
    return cellOf(this, []);
  }

  /** This realm's value. */
  get value(): GlobalValue<T> {
    return cellOf(this, []).value;
  }

  set value(v: GlobalValue<T>) {
    cellOf(this, []).value = v;
  }
}

/** Live handle or its cloned form, with a type this polyfill knows. */
export function isThreadLocalGlobal(
  value: unknown,
): value is { __weft: typeof KIND; id: string; type: ThreadLocalValueType; mutable: boolean } {
  return (
    isTagged(value, KIND) &&
    typeof value.id === 'string' &&
    typeof value.type === 'string' &&
    TYPES.includes(value.type) &&
    typeof value.mutable === 'boolean'
  );
}

/** Shorthand for `new ThreadLocalGlobal(desc, ...value)`. */
export function createThreadLocalGlobal<T extends ThreadLocalValueType>(
  desc: ThreadLocalGlobalDescriptor<T>,
  ...value: [] | [GlobalValue<T>]
): ThreadLocalGlobal<T> {
  return new ThreadLocalGlobal(desc, ...value);
}

function cellOf(handle: ThreadLocalGlobal, init: [] | [unknown]): WebAssembly.Global {
  const cells = realmMap<WebAssembly.Global>(`${KIND}:cells`);
  let cell = cells.get(handle.id);
  if (!cell) {
    // Numeric types default when the argument is missing; references must be given null, since a
    // missing argument would make an externref global hold undefined instead of wasm's ref.null.
    const desc = { value: handle.type, mutable: handle.mutable } as WebAssembly.GlobalDescriptor;
    const args = init.length > 0 ? init : NUMERIC.includes(handle.type) ? [] : [null];
    cell = new WebAssembly.Global(desc, ...args);
    cells.set(handle.id, cell);
  }
  return cell;
}
