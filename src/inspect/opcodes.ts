import type { Feature } from './facts.js';

/** How an instruction's immediates are laid out (and how it moves the block depth). */
export const Imm = {
  none: 0,
  /** block, loop, if, legacy try: a block type; opens a block. */
  block: 1,
  /** try_table: block type, vector of catch clauses; opens a block. */
  tryTable: 2,
  else: 3,
  /** Legacy `catch x` (a tag index) inside a try. */
  catch: 4,
  /** Legacy `catch_all` inside a try. */
  catchAll: 5,
  /** Legacy `delegate l`: closes a try. */
  delegate: 6,
  end: 7,
  idx: 8,
  idx2: 9,
  brTable: 10,
  /** call_indirect: type index, table index (an MVP reserved byte before reference types). */
  callIndirect: 11,
  memarg: 12,
  memargLane: 13,
  /** memory.size / memory.grow: a memory index (an MVP reserved byte before multi-memory). */
  memidx: 14,
  i32: 15,
  i64: 16,
  f32: 17,
  f64: 18,
  bytes16: 19,
  lane: 20,
  heapType: 21,
  selectT: 22,
  brOnCast: 23,
  /** atomic.fence: one ordering byte. */
  ordering: 24,
  /** global/table/array atomics: ordering byte, then one index. */
  orderingIdx: 25,
  /** struct atomics: ordering byte, type index, field index. */
  orderingIdx2: 26,
} as const;
export type Imm = (typeof Imm)[keyof typeof Imm];

export interface OpSpec {
  imm: Imm;
  features: readonly Feature[];
  /** A linear-memory atomic: counts as an atomic use; its memarg may carry an ordering. */
  atomic?: boolean;
  /** Read-modify-write: its ordering byte holds two orderings (read in the low nibble). */
  rmw?: boolean;
}

type Table = (OpSpec | undefined)[];

function define(
  table: Table,
  lo: number,
  hi: number,
  imm: Imm,
  features: readonly Feature[] = [],
  extra: Pick<OpSpec, 'atomic' | 'rmw'> = {},
): void {
  for (let op = lo; op <= hi; op++) table[op] = { imm, features, ...extra };
}

/** Single-byte opcodes (MVP and the proposals that extend the one-byte space). */
export const MAIN: Table = [];
define(MAIN, 0x00, 0x01, Imm.none);
define(MAIN, 0x02, 0x04, Imm.block);
define(MAIN, 0x05, 0x05, Imm.else);
define(MAIN, 0x06, 0x06, Imm.block, ['exceptions']); // try (legacy)
define(MAIN, 0x07, 0x07, Imm.catch, ['exceptions']);
define(MAIN, 0x08, 0x08, Imm.idx, ['exceptions']); // throw
define(MAIN, 0x09, 0x09, Imm.idx, ['exceptions']); // rethrow (legacy)
define(MAIN, 0x0a, 0x0a, Imm.none, ['exnref']); // throw_ref
define(MAIN, 0x0b, 0x0b, Imm.end);
define(MAIN, 0x0c, 0x0d, Imm.idx); // br, br_if
define(MAIN, 0x0e, 0x0e, Imm.brTable);
define(MAIN, 0x0f, 0x0f, Imm.none); // return
define(MAIN, 0x10, 0x10, Imm.idx); // call
define(MAIN, 0x11, 0x11, Imm.callIndirect);
define(MAIN, 0x12, 0x12, Imm.idx, ['tail-call']); // return_call
define(MAIN, 0x13, 0x13, Imm.callIndirect, ['tail-call']);
define(MAIN, 0x14, 0x14, Imm.idx, ['typed-funcref']); // call_ref
define(MAIN, 0x15, 0x15, Imm.idx, ['typed-funcref', 'tail-call']); // return_call_ref
define(MAIN, 0x18, 0x18, Imm.delegate, ['exceptions']);
define(MAIN, 0x19, 0x19, Imm.catchAll, ['exceptions']);
define(MAIN, 0x1a, 0x1b, Imm.none); // drop, select
define(MAIN, 0x1c, 0x1c, Imm.selectT, ['reference-types']);
define(MAIN, 0x1f, 0x1f, Imm.tryTable, ['exnref']);
define(MAIN, 0x20, 0x24, Imm.idx); // local.*, global.*
define(MAIN, 0x25, 0x26, Imm.idx, ['reference-types']); // table.get, table.set
define(MAIN, 0x28, 0x3e, Imm.memarg);
define(MAIN, 0x3f, 0x40, Imm.memidx);
define(MAIN, 0x41, 0x41, Imm.i32);
define(MAIN, 0x42, 0x42, Imm.i64);
define(MAIN, 0x43, 0x43, Imm.f32);
define(MAIN, 0x44, 0x44, Imm.f64);
define(MAIN, 0x45, 0xbf, Imm.none);
define(MAIN, 0xc0, 0xc4, Imm.none, ['sign-ext']);
define(MAIN, 0xd0, 0xd0, Imm.heapType, ['reference-types']); // ref.null
define(MAIN, 0xd1, 0xd1, Imm.none, ['reference-types']); // ref.is_null
define(MAIN, 0xd2, 0xd2, Imm.idx, ['reference-types']); // ref.func
define(MAIN, 0xd3, 0xd3, Imm.none, ['gc']); // ref.eq
define(MAIN, 0xd4, 0xd4, Imm.none, ['typed-funcref']); // ref.as_non_null
define(MAIN, 0xd5, 0xd6, Imm.idx, ['typed-funcref']); // br_on_null, br_on_non_null

/** 0xFB: GC, plus `ref.i31_shared` from shared-everything threads. */
export const GC: Table = [];
define(GC, 0, 1, Imm.idx, ['gc']); // struct.new, struct.new_default
define(GC, 2, 5, Imm.idx2, ['gc']); // struct.get, get_s, get_u, set
define(GC, 6, 7, Imm.idx, ['gc']); // array.new, array.new_default
define(GC, 8, 10, Imm.idx2, ['gc']); // array.new_fixed, new_data, new_elem
define(GC, 11, 14, Imm.idx, ['gc']); // array.get, get_s, get_u, set
define(GC, 15, 15, Imm.none, ['gc']); // array.len
define(GC, 16, 16, Imm.idx, ['gc']); // array.fill
define(GC, 17, 19, Imm.idx2, ['gc']); // array.copy, init_data, init_elem
define(GC, 20, 23, Imm.heapType, ['gc']); // ref.test, ref.cast (null)
define(GC, 24, 25, Imm.brOnCast, ['gc']); // br_on_cast, br_on_cast_fail
define(GC, 26, 30, Imm.none, ['gc']); // any.convert_extern, extern.convert_any, ref.i31, i31.get_s/u
define(GC, 31, 31, Imm.none, ['gc', 'set-types']); // ref.i31_shared

/** 0xFC: saturating truncation, bulk memory, table ops, wide arithmetic. */
export const MISC: Table = [];
define(MISC, 0, 7, Imm.none, ['sat-float-to-int']);
define(MISC, 8, 8, Imm.idx2, ['bulk-memory']); // memory.init data mem
define(MISC, 9, 9, Imm.idx, ['bulk-memory']); // data.drop
define(MISC, 10, 10, Imm.idx2, ['bulk-memory']); // memory.copy
define(MISC, 11, 11, Imm.idx, ['bulk-memory']); // memory.fill
define(MISC, 12, 12, Imm.idx2, ['bulk-memory']); // table.init
define(MISC, 13, 13, Imm.idx, ['bulk-memory']); // elem.drop
define(MISC, 14, 14, Imm.idx2, ['bulk-memory']); // table.copy
define(MISC, 15, 17, Imm.idx, ['bulk-memory', 'reference-types']); // table.grow, size, fill
define(MISC, 19, 22, Imm.none, ['wide-arithmetic']); // i64.add128, sub128, mul_wide_s/u

/** 0xFD: SIMD and relaxed SIMD. Gaps in 0x5e..0xff are unassigned opcodes. */
export const SIMD: Table = [];
define(SIMD, 0x00, 0x0b, Imm.memarg, ['simd']); // loads, store
define(SIMD, 0x0c, 0x0d, Imm.bytes16, ['simd']); // v128.const, i8x16.shuffle
define(SIMD, 0x0e, 0x14, Imm.none, ['simd']); // swizzle, splats
define(SIMD, 0x15, 0x22, Imm.lane, ['simd']); // extract/replace lane
define(SIMD, 0x23, 0x53, Imm.none, ['simd']); // comparisons, bitwise
define(SIMD, 0x54, 0x5b, Imm.memargLane, ['simd']); // load/store lane
define(SIMD, 0x5c, 0x5d, Imm.memarg, ['simd']); // load32_zero, load64_zero
define(SIMD, 0x5e, 0xff, Imm.none, ['simd']);
for (const op of [0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0]) {
  SIMD[op] = undefined;
}
for (const op of [0xd2, 0xd3, 0xd4, 0xe2, 0xee]) SIMD[op] = undefined;
define(SIMD, 0x100, 0x113, Imm.none, ['simd', 'relaxed-simd']);

/**
 * 0xFE: threads (linear-memory atomics), `pause`, and the shared-everything atomics on globals,
 * tables, structs and arrays (Overview.md of WebAssembly/shared-everything-threads, 0x4F..0x71).
 */
export const ATOMIC: Table = [];
define(ATOMIC, 0x00, 0x02, Imm.memarg, [], { atomic: true }); // notify, wait32, wait64
define(ATOMIC, 0x03, 0x03, Imm.ordering, [], { atomic: true }); // atomic.fence
define(ATOMIC, 0x04, 0x04, Imm.none, ['set-pause']); // pause
define(ATOMIC, 0x10, 0x1d, Imm.memarg, [], { atomic: true }); // loads, stores
define(ATOMIC, 0x1e, 0x4e, Imm.memarg, [], { atomic: true, rmw: true }); // rmw, cmpxchg
define(ATOMIC, 0x4f, 0x50, Imm.orderingIdx, ['set-global-atomics']); // global.atomic.get/set
define(ATOMIC, 0x51, 0x57, Imm.orderingIdx, ['set-global-atomics'], { rmw: true }); // global.atomic.rmw.*
define(ATOMIC, 0x58, 0x59, Imm.orderingIdx, ['set-global-atomics']); // table.atomic.get/set
define(ATOMIC, 0x5a, 0x5b, Imm.orderingIdx, ['set-global-atomics'], { rmw: true }); // table.atomic.rmw.*
define(ATOMIC, 0x5c, 0x5f, Imm.orderingIdx2, ['set-gc-atomics', 'gc']); // struct.atomic.get*/set
define(ATOMIC, 0x60, 0x66, Imm.orderingIdx2, ['set-gc-atomics', 'gc'], { rmw: true }); // struct.atomic.rmw.*
define(ATOMIC, 0x67, 0x6a, Imm.orderingIdx, ['set-gc-atomics', 'gc']); // array.atomic.get*/set
define(ATOMIC, 0x6b, 0x71, Imm.orderingIdx, ['set-gc-atomics', 'gc'], { rmw: true }); // array.atomic.rmw.*

/** The prefix bytes and their sub-opcode tables. */
export const PREFIXED: ReadonlyMap<number, Table> = new Map([
  [0xfb, GC],
  [0xfc, MISC],
  [0xfd, SIMD],
  [0xfe, ATOMIC],
]);

/** Arithmetic that extended-const allows in constant expressions: i32/i64 add, sub, mul. */
export const EXTENDED_CONST: ReadonlySet<number> = new Set([0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e]);
