/**
 * wasm-feature-detect's detector modules, re-encoded readably with the project's byte builder so the
 * probe carries them as base64 (one shared header) instead of importing its decimal arrays. Each is
 * byte for byte the module wasm-feature-detect 1.9.0 checks (test/probe-features.test.ts captures
 * its bytes and compares); the comment says what it holds. `how` is what the probe does with it,
 * the same as wasm-feature-detect does: `validate`, or `compile` (`new WebAssembly.Module`).
 * bigint and js-string-builtins are instantiated (src/detect/features.ts); the detectors that need no
 * module are FEATURE_MEMBERS there.
 */
import {
  body,
  code,
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
  op,
  ref,
  struct,
  t,
  types,
  wasm,
} from '../../inspect/wasm-builder.js';

const voidFn = func([], []);
const I8 = 0x78;
/** One `() -> ()` function (or of `type`) whose body is `instrs`; no locals. */
const fn = (instrs: number[][], type = voidFn, before: number[][] = []) =>
  wasm(types(type), functions(0), ...before, code(body([], ...instrs)));

const v128 = [t.v128];
const i32x2 = func([], [[t.i32], [t.i32]]);
const ins = {
  i8x16Splat: op.simd(15),
  i8x16Popcnt: op.simd(98),
  relaxedSwizzle: op.simd(256),
  memoryCopy: op.misc(10, [0, 0]),
  i32TruncSatF32S: op.misc(0),
  i64Add128: op.misc(19),
  f32Const0: [0x43, 0, 0, 0, 0],
  i32Extend8S: [0xc0],
  refNullFunc: [0xd0, t.funcref],
  returnCall: (f: number) => [0x12, f],
  tryLegacy: [0x06, 0x40],
  catchAll: [0x19],
  tryTable: (catches: number[][]) => [0x1f, 0x40, catches.length, ...catches.flat()],
  catchAllRef: (label: number) => [0x03, label],
  unreachable: [0x00],
  callRef: (type: number) => [0x14, type],
  refFunc: (f: number) => [0xd2, f],
  call: (f: number) => [0x10, f],
};

export const FEATURE_SOURCES = {
  /** `(func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)`. */
  simd: { how: 'validate', probe: fn([op.i32Const(0), ins.i8x16Splat, ins.i8x16Popcnt], func([], [v128])) },
  /** `i8x16.relaxed_swizzle` of two splats. */
  'relaxed-simd': {
    how: 'validate',
    probe: fn(
      [op.i32Const(1), ins.i8x16Splat, op.i32Const(2), ins.i8x16Splat, ins.relaxedSwizzle],
      func([], [v128]),
    ),
  },
  /** `memory.copy` on a memory of one page. */
  'bulk-memory': {
    how: 'validate',
    probe: fn([op.i32Const(0), op.i32Const(0), op.i32Const(0), ins.memoryCopy], voidFn, [
      memories(limits(0, 1)),
    ]),
  },
  /** Legacy `try` / `catch_all`. */
  exceptions: { how: 'validate', probe: fn([ins.tryLegacy, ins.catchAll, op.end]) },
  /** `block (result exnref)` around `try_table (catch_all_ref 0) unreachable`: the final exception encoding. */
  exnref: {
    how: 'compile',
    probe: fn([
      op.block([t.exnref]),
      ins.tryTable([ins.catchAllRef(0)]),
      ins.unreachable,
      op.end,
      ins.unreachable,
      op.end,
      op.drop,
    ]),
  },
  /** `(type (struct (field i8)))`. */
  gc: { how: 'validate', probe: wasm(types(struct(field([I8], false)))) },
  /** `return_call 0`. */
  'tail-call': { how: 'validate', probe: fn([ins.returnCall(0)]) },
  /** A memory with the i64 index flag. */
  memory64: { how: 'validate', probe: wasm(memories(limits(4, 1))) },
  /** Two memories. */
  'multi-memory': { how: 'compile', probe: wasm(memories(limits(0, 0), limits(0, 0))) },
  /** `(ref.null func) drop`. */
  'reference-types': { how: 'validate', probe: fn([ins.refNullFunc, op.drop]) },
  /** A data segment whose offset is `i32.const 1 i32.const 2 i32.add`. */
  'extended-const': {
    how: 'validate',
    probe: wasm(
      memories(limits(0, 1)),
      datas([0, ...op.i32Const(1), ...op.i32Const(2), ...op.i32Add, ...op.end, 0]),
    ),
  },
  /** A function returning two i32s. */
  'multi-value': { how: 'validate', probe: fn([op.i32Const(0), op.i32Const(0)], i32x2) },
  /** An imported mutable global, and an exported one. */
  'mutable-globals': {
    how: 'validate',
    probe: wasm(
      imports(imp.global('a', 'b', [t.i32], 1)),
      globals({ type: [t.i32], mut: 1, init: op.i32Const(0) }),
      exports(['a', 'global', 1]),
    ),
  },
  /** `i32.extend8_s`. */
  'sign-ext': { how: 'validate', probe: fn([op.i32Const(0), ins.i32Extend8S, op.drop]) },
  /** `i32.trunc_sat_f32_s`. */
  'sat-float-to-int': { how: 'validate', probe: fn([ins.f32Const0, ins.i32TruncSatF32S, op.drop]) },
  /** Exports `b: (i64) -> i64`, the identity: called with `BigInt(0)`. */
  bigint: {
    how: 'run',
    probe: wasm(
      types(func([[t.i64]], [[t.i64]])),
      functions(0),
      exports(['b', 'func', 0]),
      code(body([], op.localGet(0))),
    ),
  },
  /** Imports `wasm:js-string` `test: (externref) -> i32`: instantiable only with the js-string builtins. */
  'js-string-builtins': {
    how: 'run',
    probe: wasm(types(func([[t.externref]], [[t.i32]])), imports(imp.func('wasm:js-string', 'test', 0))),
  },
  /** `call_ref` through a declared `ref.func`. */
  'typed-funcref': {
    how: 'compile',
    probe: wasm(
      types(func([[t.i32]], [[t.i32]]), func([ref([0])], [[t.i32]]), func([], [[t.i32]])),
      functions(1, 0, 2),
      elements([3, 0, 1, 1]),
      code(
        body([], op.i32Const(10), op.i32Const(42), op.localGet(0), ins.callRef(0), op.i32Add),
        body([], op.localGet(0), op.i32Const(1), op.i32Add),
        body([], ins.refFunc(1), ins.call(0)),
      ),
    ),
  },
  /** `i64.add128`. */
  'wide-arithmetic': {
    how: 'validate',
    probe: fn(
      [op.localGet(0), op.localGet(1), op.localGet(2), op.localGet(3), ins.i64Add128],
      func([[t.i64], [t.i64], [t.i64], [t.i64]], [[t.i64], [t.i64]]),
    ),
  },
} as const satisfies Record<string, { how: 'validate' | 'compile' | 'run'; probe: Uint8Array }>;
