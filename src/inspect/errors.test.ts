import { describe, expect, it } from 'vitest';
import { countReads } from './count-reads.test-helper.js';
import { InspectError, inspect } from './index.js';
import {
  body,
  code,
  func,
  functions,
  HEADER,
  imports,
  limits,
  memories,
  name,
  oneFunction,
  op,
  section,
  t,
  types,
  u32,
  wasm,
} from './wasm-builder.js';

function refusal(bytes: Uint8Array): InspectError {
  try {
    inspect(bytes);
  } catch (error) {
    if (error instanceof InspectError) return error;
    throw error;
  }
  throw new Error('inspect accepted the input');
}

/** Offset of the last instruction before the function's final `end` in a `oneFunction` module. */
const lastInstr = (bytes: Uint8Array, length: number) => bytes.length - 1 - length;

describe('unknown instructions are refused by name and offset, never skipped', () => {
  it.each([
    ['a reserved single-byte opcode', [0x27], 'unknown opcode 0x27'],
    ['the first 0xFE opcode past the shared-everything atomics', [0xfe, 0x72], 'unknown opcode 0xfe 0x72'],
    ['an unassigned SIMD opcode', [0xfd, 0x9a, 0x01], 'unknown opcode 0xfd 0x9a'],
    ['the SIMD opcode after relaxed SIMD', [0xfd, 0x94, 0x02], 'unknown opcode 0xfd 0x114'],
    ['a GC opcode past ref.i31_shared', [0xfb, 0x20], 'unknown opcode 0xfb 0x20'],
    ['memory.discard (not a shipped proposal)', [0xfc, 0x12], 'unknown opcode 0xfc 0x12'],
  ])('%s', (_what, instr, message) => {
    const bytes = oneFunction([instr]);
    const error = refusal(bytes);
    expect(error.message).toContain(message);
    expect(error.offset).toBe(lastInstr(bytes, instr.length));
  });
});

describe('malformed modules are refused with what and where', () => {
  it.each([
    ['bad magic', Uint8Array.from([0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0]), /bad magic\) at offset 0/],
    ['a truncated header', Uint8Array.from([0x00, 0x61, 0x73]), /bad magic/],
    ['a component, not a core module', Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]), /component/],
    [
      'binary version 2',
      Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]),
      /unsupported binary version 2 at offset 4/,
    ],
    ['an unknown section id', wasm(section(14, [])), /unknown section id 14 at offset 8/],
    ['a repeated type section', wasm(types(), types()), /type section repeated or out of order/],
    [
      'a memory section before the function section',
      wasm(memories(limits(0, 1)), functions()),
      /function section repeated or out of order/,
    ],
    [
      'a section larger than the module',
      Uint8Array.from([...HEADER, 1, 5, 0]),
      /type section size 5 exceeds the 1 bytes left at offset 9/,
    ],
    ['a section with unread bytes', wasm(section(1, [0, 0xaa])), /type section has 1 unread bytes/],
    [
      'more code bodies than functions',
      wasm(types(func([], [])), code(body([]))),
      /code section has 1 bodies for 0 declared functions/,
    ],
    [
      'functions without a code section',
      wasm(types(func([], [])), functions(0)),
      /1 functions declared but there is no code section/,
    ],
    [
      'a body without its final end',
      wasm(types(func([], [])), functions(0), section(10, [1, 2, 0, 0x01])),
      /unexpected end of function body/,
    ],
    [
      'bytes after a body’s final end',
      wasm(types(func([], [])), functions(0), section(10, [1, 3, 0, 0x0b, 0x01])),
      /function body has 1 unread bytes/,
    ],
    ['else outside any block', oneFunction([[0x05]]), /else outside a block/],
    ['delegate outside any try', oneFunction([[0x18, 0]]), /delegate outside a try block/],
    [
      'a shared heap type in the short form 65 70',
      oneFunction([], { locals: [[1, [0x65, 0x70]]] }),
      /short form \(65 xx\)/,
    ],
    ['an unknown value type', oneFunction([], { locals: [[1, [0x55]]] }), /malformed value type 0x55/],
    [
      'a memory ordering byte other than seqcst/acqrel',
      oneFunction([op.i32Const(0), op.atomic(0x10, op.memarg(0x12, 0, [0x02])), op.drop], {
        before: [memories(limits(3, 1, 1))],
      }),
      /malformed memory ordering 0x02/,
    ],
    [
      'a memarg announcing its ordering twice',
      oneFunction([op.i32Const(0), op.atomic(0x10, op.memarg(0x32, 0, [0x01])), op.drop]),
      /ordering twice/,
    ],
    [
      'a global mutability byte of 4',
      wasm(section(6, [1, t.i32, 4, 0x41, 0, 0x0b])),
      /malformed global mutability 0x04/,
    ],
    ['limits flags a memory cannot have', wasm(memories([0x10, 1])), /malformed limits flags 0x10/],
    [
      'a table with the memory-only page size flag',
      wasm(section(4, [1, t.funcref, 0x08, 1])),
      /malformed limits flags 0x08/,
    ],
    [
      'an unknown import kind',
      wasm(imports([...name('m'), ...name('n'), 0x05])),
      /unknown external kind 0x05/,
    ],
    ['a data segment with flags 3', wasm(section(11, [1, 3])), /malformed data segment flags 0x03/],
    [
      'an element segment with flags 0x10',
      wasm(section(9, [1, 0x10])),
      /malformed element segment flags 0x10/,
    ],
  ])('%s', (_what, bytes, message) => {
    expect(refusal(bytes).message).toMatch(message);
  });

  it('refuses inputs over 64 MiB before reading them', () => {
    const error = refusal(new Uint8Array(64 * 1024 * 1024 + 1));
    expect(error.message).toMatch(/over the 64 MiB limit/);
  });

  it('never echoes the input: a 10,000-character name stays out of the message', () => {
    const long = 'A'.repeat(10_000);
    const error = refusal(wasm(imports([...name(long), ...name(long), 0x09])));
    expect(error.message).toBe(
      `unknown external kind 0x09 at offset ${20_000 + 3 * 2 + 8 + 3} (0x${(20_017).toString(16)})`,
    );
    expect(error.message.length).toBeLessThan(80);
  });

  it('refuses a huge vector count before allocating anything for it', () => {
    const error = refusal(wasm(section(2, [0xff, 0xff, 0xff, 0xff, 0x0f])));
    expect(error.message).toMatch(/import count 4294967295 exceeds the 0 bytes left at offset 10/);
  });
});

describe('hostile nesting costs a counter, not the stack', () => {
  /** One `() -> ()` function whose body (no locals) is `instrs`, which must bring their own final end. */
  const rawFunction = (instrs: number[]) => {
    const inner = [0, ...instrs];
    return wasm(types(func([], [])), functions(0), section(10, [1, ...u32(inner.length), ...inner]));
  };
  const opens = (n: number) => new Array<number>(n).fill(0).flatMap(() => [0x02, 0x40]);

  it('walks 500,000 nested blocks in work linear in the input, not in depth × length', () => {
    const bytes = rawFunction([...opens(500_000), ...new Array<number>(500_001).fill(0x0b)]);
    // Counted, not timed, so a loaded machine cannot fail it: recursion would overflow the stack
    // (a RangeError, not a report), and looking over the open blocks at each one would cost some
    // 10^11 reads, where a depth counter costs 4 per 3 bytes (an open, 02 40, is three reads with
    // the block type's peek; its end, 0b, one). 8 per byte leaves room for how reads are split.
    const budget = 8 * bytes.length;
    const start = performance.now();
    const { value, calls } = countReads(budget, () => inspect(bytes));
    expect(value.model).toBe('single');
    expect(calls).toBeGreaterThanOrEqual(bytes.length);
    expect(calls).toBeLessThanOrEqual(budget);
    // A hang guard only, for work no read shows; the walk itself takes well under a second.
    expect(performance.now() - start).toBeLessThan(20_000);
  });

  it('refuses 500,000 unclosed blocks at the end of the body, in work linear in the input', () => {
    const bytes = rawFunction(opens(500_000));
    const budget = 8 * bytes.length;
    const { value, calls } = countReads(budget, () => refusal(bytes));
    expect(value.message).toMatch(/unexpected end of function body/);
    expect(calls).toBeLessThanOrEqual(budget);
  });
});
