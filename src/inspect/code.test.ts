import { describe, expect, it } from 'vitest';
import type { Capability } from '../profile/caps.js';
import { inspect } from './index.js';
import {
  array,
  type Bytes,
  body,
  code,
  dataCount,
  datas,
  elements,
  exports,
  field,
  func,
  functions,
  globals,
  imp,
  imports,
  limits,
  memories,
  oneFunction,
  op,
  section,
  shared,
  struct,
  t,
  tags,
  types,
  u32,
  wasm,
} from './wasm-builder.js';

const v128 = op.simd(0x0c, Array(16).fill(0));
const memory = memories(limits(0, 1));
const sharedMemory = memories(limits(0x03, 1, 1));
const table = (elem: Bytes, lim: Bytes = limits(0, 1)) => section(4, [1, ...elem, ...lim]);
const sharedStructAndArray = types(
  func([], []),
  shared(struct(field([t.i32]))),
  shared(array(field([t.i32]))),
);
const withTypes = (typeSection: Bytes, instrs: Bytes[], before: Bytes[] = []) =>
  wasm(typeSection, functions(0), ...before, code(body([], ...instrs)));

/** [what the module does, the module, capabilities it must require] */
const PLAIN: [string, Uint8Array, Capability[]][] = [
  ['v128.const', oneFunction([v128, op.drop]), ['simd']],
  ['i8x16.extract_lane_s reads its lane byte', oneFunction([v128, op.simd(0x15, [3]), op.drop]), ['simd']],
  [
    'i8x16.shuffle reads 16 lane bytes',
    oneFunction([v128, v128, op.simd(0x0d, Array(16).fill(1)), op.drop]),
    ['simd'],
  ],
  [
    'v128.load8_lane reads a memarg, then a lane byte',
    oneFunction([op.i32Const(0), v128, op.simd(0x54, op.memarg(0, 0), [0]), op.drop], { before: [memory] }),
    ['simd'],
  ],
  [
    'f32x4.relaxed_madd (0xFD 0x105)',
    oneFunction([v128, v128, v128, op.simd(0x105), op.drop]),
    ['simd', 'relaxed-simd'],
  ],
  [
    'i32x4.relaxed_dot_i8x16_i7x16_add_s (0xFD 0x113)',
    oneFunction([v128, v128, v128, op.simd(0x113), op.drop]),
    ['simd', 'relaxed-simd'],
  ],
  [
    'memory.fill',
    oneFunction([op.i32Const(0), op.i32Const(0), op.i32Const(0), op.misc(11, [0])], { before: [memory] }),
    ['bulk-memory'],
  ],
  ['a data count section', wasm(dataCount(0)), ['bulk-memory']],
  ['a passive data segment', wasm(memory, datas([0x01, 2, 0xaa, 0xbb])), ['bulk-memory']],
  ['i32.trunc_sat_f32_s', oneFunction([[0x43, 0, 0, 0, 0], op.misc(0), op.drop]), ['sat-float-to-int']],
  ['i32.extend8_s', oneFunction([op.i32Const(0), [0xc0], op.drop]), ['sign-ext']],
  ['a tag section', wasm(types(func([], [])), tags(0)), ['exceptions']],
  ['legacy try / catch_all', oneFunction([[0x06, 0x40], [0x19], op.end]), ['exceptions']],
  [
    'legacy try / catch / rethrow',
    oneFunction([[0x06, 0x40], [0x07, 0], [0x09, 0], op.end], { before: [tags(0)] }),
    ['exceptions'],
  ],
  [
    'legacy try / delegate (delegate closes the try)',
    oneFunction([[0x06, 0x40], op.nop, [0x18, 0]]),
    ['exceptions'],
  ],
  ['throw', oneFunction([[0x08, 0]], { before: [tags(0)] }), ['exceptions']],
  ['try_table with catch_all', oneFunction([[0x1f, 0x40, 1, 0x02, 0], op.end]), ['exnref']],
  [
    'try_table with catch_ref',
    oneFunction([[0x1f, 0x40, 1, 0x01, 0, 0], op.end], { before: [tags(0)] }),
    ['exnref'],
  ],
  ['throw_ref', oneFunction([[0xd0, 0x69], [0x0a]]), ['exnref']],
  ['an exnref local', oneFunction([], { locals: [[1, [t.exnref]]] }), ['exnref']],
  [
    'a struct type and struct.new_default',
    withTypes(types(func([], []), struct(field([t.i32]))), [op.gc(1, [1]), op.drop]),
    ['gc'],
  ],
  [
    'br_on_cast with its cast flags and two heap types',
    oneFunction([op.block(), [0xd0, 0x6e], op.gc(24, [3, 0, 0x6e, 0x6c]), op.drop, op.end]),
    ['gc'],
  ],
  ['ref.eq', oneFunction([[0xd0, 0x6d], [0xd0, 0x6d], [0xd3], op.drop]), ['gc']],
  ['an anyref local', oneFunction([], { locals: [[1, [t.anyref]]] }), ['gc']],
  ['a recursion group', wasm(types([0x4e, 1, ...func([], [])])), ['gc']],
  ['return_call', oneFunction([[0x12, 0]]), ['tail-call']],
  [
    'return_call_indirect',
    oneFunction([op.i32Const(0), [0x13, 0, 0]], { before: [table([t.funcref])] }),
    ['tail-call'],
  ],
  [
    'return_call_ref',
    oneFunction([
      [0xd0, 0],
      [0x15, 0],
    ]),
    ['tail-call', 'typed-funcref'],
  ],
  [
    'call_ref',
    oneFunction([
      [0xd0, 0],
      [0x14, 0],
    ]),
    ['typed-funcref'],
  ],
  [
    'ref.as_non_null and br_on_null',
    oneFunction([op.block(), [0xd0, 0x70], [0xd4], [0xd5, 0], op.drop, op.end]),
    ['typed-funcref'],
  ],
  ['a (ref null $t) local', oneFunction([], { locals: [[1, [0x63, 0]]] }), ['typed-funcref']],
  [
    'a 64-bit memory, whose memarg offsets are u64',
    oneFunction([op.i64Const(0n), [0x28, 2, ...u32(2 ** 40)], op.drop], {
      before: [memories(limits(0x04, 1))],
    }),
    ['memory64'],
  ],
  ['a 64-bit table', wasm(table([t.funcref], limits(0x04, 1))), ['memory64']],
  ['two memories', wasm(memories(limits(0, 1), limits(0, 1))), ['multi-memory']],
  [
    'a memarg naming memory 1 (flag bit 0x40)',
    oneFunction([op.i32Const(0), [0x28, 0x42, 1, 0], op.drop], {
      before: [memories(limits(0, 1), limits(0, 1))],
    }),
    ['multi-memory'],
  ],
  [
    'memory.size of memory 1',
    oneFunction([[0x3f, 1], op.drop], { before: [memories(limits(0, 1), limits(0, 1))] }),
    ['multi-memory'],
  ],
  ['an externref local', oneFunction([], { locals: [[1, [t.externref]]] }), ['reference-types']],
  ['ref.func', oneFunction([[0xd2, 0], op.drop]), ['reference-types']],
  [
    'a typed select',
    oneFunction([op.i32Const(1), op.i32Const(2), op.i32Const(0), [0x1c, 1, t.i32], op.drop]),
    ['reference-types'],
  ],
  [
    'table.get',
    oneFunction([op.i32Const(0), [0x25, 0], op.drop], { before: [table([t.funcref])] }),
    ['reference-types'],
  ],
  [
    'call_indirect with LLVM’s overlong table index (5-byte 0)',
    oneFunction([op.i32Const(0), [0x11, 0, 0x80, 0x80, 0x80, 0x80, 0x00]], { before: [table([t.funcref])] }),
    ['reference-types'],
  ],
  ['an externref table', wasm(table([t.externref])), ['reference-types']],
  [
    'i32.add in a global initialiser',
    wasm(globals({ type: [t.i32], mut: 0, init: [...op.i32Const(1), ...op.i32Const(2), ...op.i32Add] })),
    ['extended-const'],
  ],
  ['a function type with two results', wasm(types(func([], [[t.i32], [t.i32]]))), ['multi-value']],
  ['a block typed by a type index', oneFunction([[0x02, 0], op.end]), ['multi-value']],
  ['an imported mutable global', wasm(imports(imp.global('env', 'sp', [t.i32], 1))), ['mutable-globals']],
  [
    'an exported mutable global',
    wasm(globals({ type: [t.i32], mut: 1, init: op.i32Const(0) }), exports(['g', 'global', 0])),
    ['mutable-globals'],
  ],
  [
    'an imported function taking an i64',
    wasm(types(func([[t.i64]], [])), imports(imp.func('env', 'f', 0))),
    ['bigint'],
  ],
  [
    'an exported function returning an i64',
    wasm(
      types(func([], [[t.i64]])),
      functions(0),
      exports(['f', 'func', 0]),
      code(body([], op.i64Const(1n))),
    ),
    ['bigint'],
  ],
  [
    'an exported i64 global',
    wasm(globals({ type: [t.i64], mut: 0, init: op.i64Const(-1n) }), exports(['g', 'global', 0])),
    ['bigint'],
  ],
  [
    'i64.add128 (0xFC 19)',
    oneFunction([
      op.i64Const(0n),
      op.i64Const(0n),
      op.i64Const(0n),
      op.i64Const(0n),
      op.misc(19),
      op.drop,
      op.drop,
    ]),
    ['wide-arithmetic'],
  ],
  [
    'i64.mul_wide_u (0xFC 22)',
    oneFunction([op.i64Const(0n), op.i64Const(0n), op.misc(22), op.drop, op.drop]),
    ['wide-arithmetic'],
  ],
  [
    'an import from wasm:js-string',
    wasm(types(func([[t.externref]], [[t.i32]])), imports(imp.func('wasm:js-string', 'length', 0))),
    ['js-string-builtins'],
  ],
  [
    'i32.atomic.load with the acquire/release memarg bit 0x10 and ordering 01',
    oneFunction([op.i32Const(0), op.atomic(0x10, op.memarg(0x12, 0, [0x01])), op.drop], {
      before: [sharedMemory],
    }),
    ['acqrel-atomics', 'shared-memory', 'threads'],
  ],
  [
    'i32.atomic.rmw.add acqrel (ordering byte 0x11)',
    oneFunction([op.i32Const(0), op.i32Const(1), op.atomic(0x1e, op.memarg(0x12, 0, [0x11])), op.drop], {
      before: [sharedMemory],
    }),
    ['acqrel-atomics'],
  ],
  [
    'an acquire-release atomic.fence',
    oneFunction([op.atomic(0x03, [0x01])], { before: [sharedMemory] }),
    ['acqrel-atomics'],
  ],
];

describe('plain features: each construct requires its capability, in the contract’s names', () => {
  it.each(PLAIN)('%s', (_what, bytes, caps) => {
    const report = inspect(bytes);
    for (const cap of caps) expect(report.requires).toContain(cap);
  });

  it('arithmetic in a function body is not extended-const', () => {
    expect(inspect(oneFunction([op.i32Const(1), op.i32Const(2), op.i32Add, op.drop])).requires).toEqual([]);
  });

  it('a funcref table with an i32 function type is plain MVP', () => {
    expect(inspect(wasm(types(func([[t.i32]], [[t.i32]])), table([t.funcref]))).requires).toEqual([]);
  });

  it('the V8 prototype encoding (memarg bit 0x20) still requires acqrel-atomics, with a note', () => {
    const report = inspect(
      oneFunction([op.i32Const(0), op.atomic(0x10, op.memarg(0x22, 0, [0x01])), op.drop], {
        before: [sharedMemory],
      }),
    );
    expect(report.requires).toContain('acqrel-atomics');
    expect(report.notes.join('\n')).toMatch(/V8 prototype encoding/);
  });

  it('an explicit seqcst ordering immediate needs an engine that reads it: acqrel-atomics, with a note', () => {
    const report = inspect(
      oneFunction([op.i32Const(0), op.atomic(0x10, op.memarg(0x12, 0, [0x00])), op.drop], {
        before: [sharedMemory],
      }),
    );
    expect(report.requires).toContain('acqrel-atomics');
    expect(report.notes.join('\n')).toMatch(/explicit seqcst ordering/);
  });
});

/** [what, module, the set-* capabilities it must require] — all shared-everything binaries. */
const SET: [string, Uint8Array, Capability[]][] = [
  [
    'global.atomic.get (0xFE 0x4F) on a shared mutable global',
    oneFunction([op.atomic(0x4f, [0x00], [0]), op.drop], {
      before: [globals({ type: [t.i32], mut: 3, init: op.i32Const(0) })],
    }),
    ['set-globals', 'set-global-atomics'],
  ],
  [
    'global.atomic.rmw.cmpxchg acqrel (0xFE 0x57, ordering 0x11)',
    oneFunction([op.i32Const(0), op.i32Const(1), op.atomic(0x57, [0x11], [0]), op.drop], {
      before: [globals({ type: [t.i32], mut: 3, init: op.i32Const(0) })],
    }),
    ['set-global-atomics'],
  ],
  [
    'table.atomic.get (0xFE 0x58)',
    oneFunction([op.i32Const(0), op.atomic(0x58, [0x00], [0]), op.drop], {
      before: [table([t.anyref], limits(3, 1, 1))],
    }),
    ['set-tables', 'set-global-atomics'],
  ],
  [
    'table.atomic.rmw.cmpxchg (0xFE 0x5B)',
    oneFunction([op.atomic(0x5b, [0x00], [0])], { before: [table([t.anyref])] }),
    ['set-global-atomics'],
  ],
  [
    'struct.atomic.set (0xFE 0x5F)',
    withTypes(sharedStructAndArray, [op.atomic(0x5f, [0x01], [1], [0])]),
    ['set-types', 'set-gc-atomics'],
  ],
  [
    'struct.atomic.rmw.add acqrel (0xFE 0x60, ordering 0x11)',
    withTypes(sharedStructAndArray, [op.atomic(0x60, [0x11], [1], [0]), op.drop]),
    ['set-gc-atomics'],
  ],
  [
    'array.atomic.get (0xFE 0x67)',
    withTypes(sharedStructAndArray, [op.atomic(0x67, [0x00], [2]), op.drop]),
    ['set-gc-atomics'],
  ],
  [
    'array.atomic.rmw.cmpxchg (0xFE 0x71)',
    withTypes(sharedStructAndArray, [op.atomic(0x71, [0x00], [2]), op.drop]),
    ['set-gc-atomics'],
  ],
  ['ref.i31_shared (0xFB 0x1F)', oneFunction([op.i32Const(1), op.gc(0x1f), op.drop]), ['set-types']],
  ['a (ref null (shared any)) local', oneFunction([], { locals: [[1, [0x63, 0x65, 0x6e]]] }), ['set-types']],
  ['ref.null (shared func)', oneFunction([[0xd0, 0x65, 0x70], op.drop]), ['set-types']],
  ['a shared passive data segment (flags 0x09)', wasm(memory, datas([0x09, 1, 0xaa])), ['set-functions']],
  ['a shared passive element segment (flags 0x09)', wasm(elements([0x09, 0x00, 0])), ['set-tables']],
  ['an imported shared global', wasm(imports(imp.global('env', 'g', [t.i32], 0x03))), ['set-globals']],
  [
    'an imported shared table',
    wasm(imports(imp.table('env', 't', [0x63, 0x65, 0x70], limits(0x03, 1, 1)))),
    ['set-tables', 'set-types'],
  ],
  [
    'an imported function of a shared func type',
    wasm(types(shared(func([], []))), imports(imp.func('env', 'f', 0))),
    ['set-types', 'set-functions'],
  ],
  [
    'a tag of a shared func type',
    wasm(types(shared(func([], []))), tags(0)),
    ['set-functions', 'exceptions'],
  ],
];

describe('shared-everything constructs: each requires its set-* capability and set-threads', () => {
  it.each(SET)('%s', (_what, bytes, caps) => {
    const report = inspect(bytes);
    expect(report.model).toBe('shared-everything');
    for (const cap of [...caps, 'set-threads']) expect(report.requires).toContain(cap);
  });

  it('marks shared imports as shared and unshared ones as not', () => {
    const report = inspect(
      wasm(
        types(shared(func([], []))),
        imports(
          imp.global('env', 'g', [t.i32], 0x02),
          imp.global('env', 'h', [t.i32], 0x00),
          imp.func('env', 'f', 0),
          imp.memory('env', 'memory', limits(0x00, 1)),
        ),
      ),
    );
    expect(report.imports).toEqual([
      { module: 'env', name: 'g', kind: 'global', shared: true },
      { module: 'env', name: 'h', kind: 'global', shared: false },
      { module: 'env', name: 'f', kind: 'func', shared: true },
      { module: 'env', name: 'memory', kind: 'memory', shared: false },
    ]);
  });
});

describe('requirements are only what a binary can show', () => {
  const everything = [...PLAIN, ...SET].map(([, bytes]) => inspect(bytes));
  it.each(['jspi', 'streaming-compilation', 'type-reflection', 'set-js-api', 'set-thread-local', 'workers'])(
    'never requires %s',
    (cap) => {
      for (const report of everything) expect(report.requires).not.toContain(cap);
    },
  );
});
