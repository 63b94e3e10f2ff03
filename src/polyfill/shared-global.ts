/**
 * Shared (not thread-local) numeric globals, the proposal's `new WebAssembly.Global({..., shared:
 * true})`, as one cell of a `SharedArrayBuffer`: every thread it is posted to reads and writes the
 * same cell through `Atomics`. Needs `threads`. JS-side only: no engine can bind a wasm global import
 * to a SharedArrayBuffer, so wasm reaches shared state through shared memory instead.
 */
import { isTagged, requireSharedMemory } from './tag.js';

const KIND = 'shared-global';

export type SharedValueType = 'i32' | 'i64' | 'f32' | 'f64';
type Value<T extends SharedValueType> = T extends 'i64' ? bigint : number;

export interface SharedGlobalDescriptor<T extends SharedValueType = SharedValueType> {
  value: T;
  mutable?: boolean;
}

const TYPES: readonly string[] = ['i32', 'i64', 'f32', 'f64'];

// 32-bit types live in an Int32Array, 64-bit ones in a BigInt64Array; toBits always yields the
// matching number or bigint, which is what this one typing of Atomics over either view says.
type Cell = Int32Array | BigInt64Array;
type Bits = number | bigint;
const atomics = Atomics as unknown as {
  load(c: Cell, i: number): Bits;
  store(c: Cell, i: number, v: Bits): Bits;
  exchange(c: Cell, i: number, v: Bits): Bits;
  compareExchange(c: Cell, i: number, expected: Bits, replacement: Bits): Bits;
  add(c: Cell, i: number, v: Bits): Bits;
  sub(c: Cell, i: number, v: Bits): Bits;
};

/**
 * A shared numeric global. It travels by `postMessage` as `{ __weft: 'shared-global', type, mutable,
 * buffer }` (the SharedArrayBuffer is shared, not copied); {@link SharedGlobal.revive} wraps it again.
 * Floats are stored as their bits, so loads and stores never tear, and `compareExchange` compares bits.
 */
export class SharedGlobal<T extends SharedValueType = SharedValueType> {
  readonly __weft = KIND;
  readonly type: T;
  readonly mutable: boolean;
  readonly buffer: SharedArrayBuffer;

  constructor(desc: SharedGlobalDescriptor<T>, value?: Value<T>) {
    requireSharedMemory('SharedGlobal');
    if (!TYPES.includes(desc?.value)) {
      throw new TypeError(`shared global: unsupported type ${String(desc?.value)}`);
    }
    this.type = desc.value;
    this.mutable = desc.mutable ?? false;
    this.buffer = new SharedArrayBuffer(8);
    Object.freeze(this);
    if (value !== undefined) atomics.store(cell(this), 0, toBits(this.type, value));
  }

  /** The wrapper for a posted (cloned) or live one, over the same buffer. */
  static revive<T extends SharedValueType = SharedValueType>(value: unknown): SharedGlobal<T> {
    if (!isSharedGlobal(value)) throw new TypeError('not a shared global');
    if (value instanceof SharedGlobal) return value as SharedGlobal<T>;
    const g = Object.create(SharedGlobal.prototype) as SharedGlobal<T>;
    return Object.freeze(
      Object.assign(g, { __weft: KIND, type: value.type, mutable: value.mutable, buffer: value.buffer }),
    );
  }

  /** Always true: the proposal's read-only `shared` property. */
  get shared(): true {
    return true;
  }

  get value(): Value<T> {
    return fromBits(this.type, atomics.load(cell(this), 0)) as Value<T>;
  }

  set value(v: Value<T>) {
    this.exchange(v);
  }

  /** Atomically adds `delta`; returns the old value. Floats use a compare-exchange loop. */
  add(delta: Value<T>): Value<T> {
    return rmw(this, 'add', delta) as Value<T>;
  }

  /** Atomically subtracts `delta`; returns the old value. */
  sub(delta: Value<T>): Value<T> {
    return rmw(this, 'sub', delta) as Value<T>;
  }

  /** Atomically stores `v`; returns the old value. */
  exchange(v: Value<T>): Value<T> {
    return fromBits(this.type, atomics.exchange(writableCell(this), 0, toBits(this.type, v))) as Value<T>;
  }

  /** Stores `replacement` if the value (bitwise, for floats) is `expected`; returns the old value. */
  compareExchange(expected: Value<T>, replacement: Value<T>): Value<T> {
    const c = writableCell(this);
    const old = atomics.compareExchange(c, 0, toBits(this.type, expected), toBits(this.type, replacement));
    return fromBits(this.type, old) as Value<T>;
  }
}

/** Integers go straight to Atomics; floats are a compare-exchange loop on their bits. */
function rmw(g: SharedGlobal, op: 'add' | 'sub', delta: unknown): Bits {
  const c = writableCell(g);
  if (g.type === 'i32' || g.type === 'i64') return atomics[op](c, 0, toBits(g.type, delta));
  for (;;) {
    const seen = atomics.load(c, 0);
    const old = fromBits(g.type, seen) as number;
    const want = toBits(g.type, op === 'add' ? old + Number(delta) : old - Number(delta));
    if (atomics.compareExchange(c, 0, seen, want) === seen) return old;
  }
}

function writableCell(g: SharedGlobal): Cell {
  if (!g.mutable) throw new TypeError("can't set the value of an immutable shared global");
  return cell(g);
}

/** Live global or its cloned form. */
export function isSharedGlobal(
  value: unknown,
): value is { __weft: typeof KIND; type: SharedValueType; mutable: boolean; buffer: SharedArrayBuffer } {
  return (
    isTagged(value, KIND) &&
    typeof value.type === 'string' &&
    TYPES.includes(value.type) &&
    typeof value.mutable === 'boolean' &&
    typeof SharedArrayBuffer === 'function' &&
    value.buffer instanceof SharedArrayBuffer
  );
}

// One typed view per buffer and realm; 32-bit types use an Int32Array, 64-bit ones a BigInt64Array.
const views = new WeakMap<SharedArrayBuffer, Cell>();
const scratch = new DataView(new ArrayBuffer(8));

function cell(g: SharedGlobal): Cell {
  let view = views.get(g.buffer);
  if (!view) {
    view =
      g.type === 'i64' || g.type === 'f64'
        ? new BigInt64Array(g.buffer, 0, 1)
        : new Int32Array(g.buffer, 0, 1);
    views.set(g.buffer, view);
  }
  return view;
}

function toBits(type: SharedValueType, v: unknown): Bits {
  if (type === 'f32') {
    scratch.setFloat32(0, Number(v));
    return scratch.getInt32(0);
  }
  if (type === 'f64') {
    scratch.setFloat64(0, Number(v));
    return scratch.getBigInt64(0);
  }
  if (type === 'i64') {
    if (typeof v !== 'bigint') throw new TypeError('an i64 shared global takes a BigInt');
    return v;
  }
  return Number(v) | 0;
}

function fromBits(type: SharedValueType, bits: Bits): Bits {
  if (type === 'f32') {
    scratch.setInt32(0, bits as number);
    return scratch.getFloat32(0);
  }
  if (type === 'f64') {
    scratch.setBigInt64(0, bits as bigint);
    return scratch.getFloat64(0);
  }
  return bits;
}
