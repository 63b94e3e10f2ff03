/**
 * One module for the features every engine has shipped since about 2021, checked at once: it
 * uses each of them (a module that validates proves every feature it uses); bigint, the JS API
 * part, also needs it instantiated and an i64 export to pass a BigInt through (as
 * wasm-feature-detect's detector does; workerd, which refuses synchronous compiles, validates the
 * rest still). An engine that rejects it reports none of them: an engine older than the baseline
 * under-reports and gets a plainer build, never a wrong one.
 */
import { funcType, globalType, I32, module, op } from './encoder.js';

const I64 = 0x7e;

/** The capabilities the baseline module proves, each by the construct named beside it below. */
export const BASELINE_CAPS = [
  'bulk-memory',
  'reference-types',
  'multi-value',
  'mutable-globals',
  'sign-ext',
  'sat-float-to-int',
  'bigint',
] as const;

export const BASELINE = module({
  // multi-value: a function type with two results; bigint: an i64 -> i64 function, exported as `b`.
  types: [funcType([], [[I32], [I32]]), funcType([[I64]], [[I64]])],
  funcs: [0, 1],
  memories: [[0x00, 0x01]],
  // mutable-globals: a mutable global exported (the MVP exported immutable globals only).
  globals: [{ type: globalType([I32], { mutable: true }), init: op.i32Const0 }],
  exports: [
    { name: 'b', kind: 0, index: 1 },
    { name: 'g', kind: 3, index: 0 },
  ],
  code: [
    [
      // bulk-memory: memory.copy 0 0.
      ...[...op.i32Const0, ...op.i32Const0, ...op.i32Const0, 0xfc, 0x0a, 0x00, 0x00],
      // reference-types: ref.null func, dropped.
      ...[0xd0, 0x70, ...op.drop],
      // sat-float-to-int: f32.const 0, i32.trunc_sat_f32_s; sign-ext: i32.extend8_s.
      ...[0x43, 0, 0, 0, 0, 0xfc, 0x00, 0xc0],
      ...op.i32Const0,
    ],
    op.localGet(0),
  ],
});
