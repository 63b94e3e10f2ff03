import { hex } from './error.js';
import type { Feature, MemoryFact } from './facts.js';
import { EXTENDED_CONST, Imm, MAIN, type OpSpec, PREFIXED } from './opcodes.js';
import type { Reader } from './reader.js';
import { readHeapType, readValType, startsValType } from './type-section.js';

/** What the walker needs from the module around the code, and where it records what it sees. */
export interface CodeEnv {
  features: Set<Feature>;
  /** Memories declared so far: a memarg's offset is a u64 on a 64-bit memory. */
  memories: readonly MemoryFact[];
}

/**
 * Walks one expression (a function body after its locals, or a constant expression) instruction
 * by instruction up to and including its final `end`, recording the features its opcodes and
 * immediates use. Nesting is a counter, never recursion, so depth costs nothing.
 */
export function walkExpr(r: Reader, env: CodeEnv, constant: boolean): void {
  const f = env.features;
  let depth = 0;
  for (;;) {
    const at = r.pos;
    const op = r.u8();
    let spec: OpSpec | undefined;
    const table = PREFIXED.get(op);
    if (table) {
      const sub = r.u32();
      spec = table[sub];
      if (!spec) r.fail(`unknown opcode ${hex(op)} ${hex(sub)}`, at);
    } else {
      spec = MAIN[op];
      if (!spec) r.fail(`unknown opcode ${hex(op)}`, at);
      if (constant && EXTENDED_CONST.has(op)) f.add('extended-const');
    }
    for (const feature of spec.features) f.add(feature);
    if (spec.atomic) f.add('atomic-op');

    switch (spec.imm) {
      case Imm.none:
        break;
      case Imm.end:
        if (depth === 0) return;
        depth--;
        break;
      case Imm.block:
        readBlockType(r, f);
        depth++;
        break;
      case Imm.tryTable: {
        readBlockType(r, f);
        const n = r.count('catch clause');
        for (let i = 0; i < n; i++) {
          const kindAt = r.pos;
          const kind = r.u8();
          if (kind > 3) r.fail(`malformed catch clause kind ${hex(kind)}`, kindAt);
          if (kind < 2) r.u32(); // tag
          r.u32(); // label
        }
        depth++;
        break;
      }
      case Imm.else:
      case Imm.catchAll:
        if (depth === 0) r.fail(`${op === 0x05 ? 'else' : 'catch_all'} outside a block`, at);
        break;
      case Imm.catch:
        if (depth === 0) r.fail('catch outside a try block', at);
        r.u32();
        break;
      case Imm.delegate:
        if (depth === 0) r.fail('delegate outside a try block', at);
        r.u32();
        depth--;
        break;
      case Imm.idx:
        r.u32();
        break;
      case Imm.idx2:
        r.u32();
        r.u32();
        break;
      case Imm.brTable: {
        const n = r.count('br_table label');
        for (let i = 0; i <= n; i++) r.u32();
        break;
      }
      case Imm.callIndirect:
        r.u32();
        // A table index other than a single 00 byte needs reference types (LLVM's overlong form too).
        if (!reservedZero(r)) f.add('reference-types');
        break;
      case Imm.memidx:
        if (!reservedZero(r)) f.add('multi-memory');
        break;
      case Imm.memarg:
        readMemarg(r, env, spec);
        break;
      case Imm.memargLane:
        readMemarg(r, env, spec);
        r.skip(1, 'lane index');
        break;
      case Imm.i32:
        r.s32();
        break;
      case Imm.i64:
        r.s64();
        break;
      case Imm.f32:
        r.skip(4, 'f32 constant');
        break;
      case Imm.f64:
        r.skip(8, 'f64 constant');
        break;
      case Imm.bytes16:
        r.skip(16, 'v128 immediate');
        break;
      case Imm.lane:
        r.skip(1, 'lane index');
        break;
      case Imm.heapType:
        readHeapType(r, f);
        break;
      case Imm.selectT: {
        const n = r.count('select type');
        for (let i = 0; i < n; i++) readValType(r, f);
        break;
      }
      case Imm.brOnCast: {
        const flagsAt = r.pos;
        if (r.u8() > 3) r.fail('malformed cast flags', flagsAt);
        r.u32();
        readHeapType(r, f);
        readHeapType(r, f);
        break;
      }
      case Imm.ordering:
        if (readOrdering(r, false)) f.add('acqrel-atomics'); // an acquire-release fence
        break;
      case Imm.orderingIdx:
        readOrdering(r, spec.rmw === true);
        r.u32();
        break;
      case Imm.orderingIdx2:
        readOrdering(r, spec.rmw === true);
        r.u32();
        r.u32();
        break;
    }
  }
}

/** Reads a u32 index and says whether it was the MVP's reserved single `00` byte. */
function reservedZero(r: Reader): boolean {
  const at = r.pos;
  return r.u32() === 0 && r.pos - at === 1;
}

function readBlockType(r: Reader, f: Set<Feature>): void {
  const b = r.peek();
  if (b === 0x40) {
    r.u8();
    return;
  }
  if (startsValType(b)) {
    readValType(r, f);
    return;
  }
  const at = r.pos;
  if (r.s33() < 0) r.fail(`malformed block type ${hex(b)}`, at);
  f.add('multi-value'); // a block typed by a type index may take params and return several results
}

/**
 * An ordering immediate: 0 seqcst, 1 acqrel per nibble (read ordering low, write ordering high;
 * only read-modify-writes use the high nibble). Returns whether it asks for acquire-release.
 */
function readOrdering(r: Reader, rmw: boolean): boolean {
  const at = r.pos;
  const b = r.u8();
  if ((b & 0x0f) > 1 || b >> 4 > (rmw ? 1 : 0)) r.fail(`malformed memory ordering ${hex(b)}`, at);
  return b !== 0;
}

/**
 * memarg: flags (bits 0-3 alignment, 4 ordering follows per the acquire-release spec, 5 ordering
 * follows in V8's prototype, 6 memory index follows), then the memory index, then the ordering
 * byte, then the offset (u64 on a 64-bit memory).
 */
function readMemarg(r: Reader, env: CodeEnv, spec: OpSpec): void {
  const f = env.features;
  const at = r.pos;
  const flags = r.u32();
  if (flags >= 0x80) r.fail(`malformed memarg flags ${hex(flags)}`, at);
  let memory = 0;
  if (flags & 0x40) {
    memory = r.u32();
    f.add('multi-memory');
  }
  const orderingBits = flags & 0x30;
  if (orderingBits === 0x30) r.fail('memarg announces an ordering twice (bits 0x10 and 0x20)', at);
  if (orderingBits !== 0) {
    // Either way the engine must read an ordering immediate: only acquire-release engines do.
    const acqrel = readOrdering(r, spec.rmw === true);
    f.add('acqrel-atomics');
    if (orderingBits === 0x20) f.add('acqrel-prototype');
    if (!acqrel) f.add('ordering-seqcst');
  }
  if (env.memories[memory]?.is64) r.u64();
  else r.u32();
}
