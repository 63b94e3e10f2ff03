import { hex } from './error.js';
import { type Feature, GLOBAL_I64, GLOBAL_MUTABLE, GLOBAL_SHARED, type GlobalFact, LIMITS } from './facts.js';
import type { Reader } from './reader.js';

/** A type index's packed word: its kind, whether it is shared, and signature traits of func types. */
export const TYPE_FUNC = 0;
export const TYPE_STRUCT = 1;
export const TYPE_ARRAY = 2;
export const TYPE_KIND = 0b11;
export const TYPE_SHARED = 1 << 2;
/** An i64 among the params or results (JS needs BigInt across the boundary). */
export const TYPE_HAS_I64 = 1 << 3;
/** `(i32) -> i32`: the shape of wasi `thread-spawn`. */
export const TYPE_SPAWN_SIG = 1 << 4;
/** `(i32 i32) -> ()`: the shape of `wasi_thread_start`. */
export const TYPE_START_SIG = 1 << 5;

export const I32 = 0x7f;
export const I64 = 0x7e;
/** What `readValType` returns for any reference type. */
export const REF = 0x00;

/** Abstract heap types (and their one-byte reference shorthands), with the proposal each needs. */
const ABSTRACT: ReadonlyMap<number, Feature> = new Map<number, Feature>([
  [0x70, 'reference-types'], // func
  [0x6f, 'reference-types'], // extern
  [0x6e, 'gc'], // any
  [0x6d, 'gc'], // eq
  [0x6c, 'gc'], // i31
  [0x6b, 'gc'], // struct
  [0x6a, 'gc'], // array
  [0x71, 'gc'], // none
  [0x72, 'gc'], // noextern
  [0x73, 'gc'], // nofunc
  [0x69, 'exnref'], // exn
  [0x74, 'exnref'], // noexn
]);

/** First bytes that start a value type (so a block type is not a type index). */
export function startsValType(b: number): boolean {
  return (b >= 0x7b && b <= 0x7f) || ABSTRACT.has(b) || b === 0x63 || b === 0x64 || b === 0x65;
}

/** A heap type: abstract, shared abstract (`65 xx`), or a type index (s33 >= 0). */
export function readHeapType(r: Reader, f: Set<Feature>): void {
  const at = r.pos;
  const b = r.peek();
  if (b === 0x65) {
    r.u8();
    const abs = r.u8();
    const feature = ABSTRACT.get(abs);
    if (feature === undefined) r.fail(`malformed shared heap type ${hex(abs)}`, at);
    f.add('set-types').add(feature);
    return;
  }
  const feature = ABSTRACT.get(b);
  if (feature !== undefined) {
    r.u8();
    f.add(feature);
    return;
  }
  if (r.s33() < 0) r.fail(`malformed heap type ${hex(b)}`, at);
  f.add('typed-funcref');
}

/**
 * A value type; returns its first byte for number and vector types and `REF` for references.
 * `funcref` is MVP inside a table type, which is what `mvpFuncref` says.
 */
export function readValType(r: Reader, f: Set<Feature>, mvpFuncref = false): number {
  const at = r.pos;
  const b = r.u8();
  if (b >= 0x7c && b <= 0x7f) return b;
  if (b === 0x7b) {
    f.add('simd');
    return b;
  }
  const feature = ABSTRACT.get(b);
  if (feature !== undefined) {
    if (!(mvpFuncref && b === 0x70)) f.add(feature);
    return REF;
  }
  if (b === 0x63 || b === 0x64) {
    // The long forms came with typed function references, even `(ref null func)`.
    f.add('typed-funcref');
    readHeapType(r, f);
    return REF;
  }
  if (b === 0x65) {
    r.fail('shared heap type in the short form (65 xx); a reference type needs 63 65 xx or 64 65 xx', at);
  }
  return r.fail(`malformed value type ${hex(b)}`, at);
}

function readStorageType(r: Reader, f: Set<Feature>): void {
  const b = r.peek();
  if (b === 0x78 || b === 0x77)
    r.u8(); // i8, i16
  else readValType(r, f);
  const at = r.pos;
  const mut = r.u8();
  if (mut > 1) r.fail(`malformed field mutability ${hex(mut)}`, at);
}

function readResultTypes(r: Reader, f: Set<Feature>, what: string, limit: number): number[] {
  const n = r.count(what, limit);
  const types: number[] = [];
  for (let i = 0; i < n; i++) types.push(readValType(r, f));
  return types;
}

/** A composite type, `65`-prefixed when shared; returns its packed word. */
function readCompType(r: Reader, f: Set<Feature>): number {
  let at = r.pos;
  let b = r.u8();
  let word = 0;
  if (b === 0x65) {
    f.add('set-types');
    word |= TYPE_SHARED;
    at = r.pos;
    b = r.u8();
  }
  if (b === 0x60) {
    const params = readResultTypes(r, f, 'parameter', LIMITS.params);
    const results = readResultTypes(r, f, 'result', LIMITS.results);
    if (results.length > 1) f.add('multi-value');
    if (params.includes(I64) || results.includes(I64)) word |= TYPE_HAS_I64;
    if (params.length === 1 && params[0] === I32 && results.length === 1 && results[0] === I32) {
      word |= TYPE_SPAWN_SIG;
    }
    if (params.length === 2 && params[0] === I32 && params[1] === I32 && results.length === 0) {
      word |= TYPE_START_SIG;
    }
    return word | TYPE_FUNC;
  }
  if (b === 0x5f) {
    f.add('gc');
    const n = r.count('struct field', LIMITS.fields);
    for (let i = 0; i < n; i++) readStorageType(r, f);
    return word | TYPE_STRUCT;
  }
  if (b === 0x5e) {
    f.add('gc');
    readStorageType(r, f);
    return word | TYPE_ARRAY;
  }
  return r.fail(`malformed composite type ${hex(b)}`, at);
}

function readSubType(r: Reader, f: Set<Feature>): number {
  const b = r.peek();
  if (b === 0x50 || b === 0x4f) {
    // sub / sub final: declared supertypes belong to GC.
    r.u8();
    f.add('gc');
    const n = r.count('supertype');
    for (let i = 0; i < n; i++) r.u32();
  }
  return readCompType(r, f);
}

/** One entry of the type section: a recursion group (`4e`) or a single subtype; appends to `types`. */
export function readTypeEntry(r: Reader, f: Set<Feature>, types: number[]): void {
  if (r.peek() === 0x4e) {
    r.u8();
    f.add('gc');
    const n = r.count('recursion group member', LIMITS.types);
    for (let i = 0; i < n; i++) types.push(readSubType(r, f));
    return;
  }
  types.push(readSubType(r, f));
}

export interface Limits {
  shared: boolean;
  is64: boolean;
}

/**
 * Limits of a memory or table. Flag bits: 0 has a maximum, 1 shared, 2 64-bit index, and for
 * memories 3 a custom page size (its log2 follows the limits).
 */
export function readLimits(r: Reader, f: Set<Feature>, memory: boolean, notes: string[]): Limits {
  const at = r.pos;
  const flags = r.u8();
  if (flags & (memory ? ~0x0f : ~0x07)) r.fail(`malformed limits flags ${hex(flags)}`, at);
  const is64 = (flags & 0x04) !== 0;
  for (let bound = flags & 0x01 ? 2 : 1; bound > 0; bound--) {
    if (is64) r.u64();
    else r.u32();
  }
  if (is64) f.add('memory64');
  if (flags & 0x08) {
    r.u32();
    notes.push('a memory declares a custom page size (custom-page-sizes proposal, no capability for it yet)');
  }
  return { shared: (flags & 0x02) !== 0, is64 };
}

/** A table type: reference type, then limits; bit 1 of the limits makes it a shared table. */
export function readTableType(r: Reader, f: Set<Feature>, notes: string[]): Limits {
  readValType(r, f, true);
  const limits = readLimits(r, f, false, notes);
  if (limits.shared) f.add('set-tables');
  return limits;
}

/** A global type: value type, then mutability (bit 0 mutable, bit 1 shared: 02/03 are shared). */
export function readGlobalType(r: Reader, f: Set<Feature>): GlobalFact {
  const valType = readValType(r, f);
  const at = r.pos;
  const mut = r.u8();
  if (mut > 3) r.fail(`malformed global mutability ${hex(mut)}`, at);
  if (mut & 0x02) f.add('set-globals');
  return (
    (mut & 0x01 ? GLOBAL_MUTABLE : 0) | (mut & 0x02 ? GLOBAL_SHARED : 0) | (valType === I64 ? GLOBAL_I64 : 0)
  );
}
