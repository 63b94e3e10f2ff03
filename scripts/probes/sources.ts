/**
 * The probe modules, one record per capability, written readably with the build-time encoder.
 * `npm run gen:probes` turns them into src/detect/probe-bytes.ts; a test checks that file is current
 * and that each module is byte for byte the one threading-models.md lists.
 *
 * A capability is present when its `probe` validates and its `control` (a module a correct engine
 * must reject) does not: an engine that accepts the control has a validation bug the probe cannot see past.
 */
import {
  ABS_FUNC,
  FUNCREF,
  funcType,
  globalType,
  I32,
  limits,
  module,
  op,
  refNull,
  SHARED,
  shared,
  structType,
} from './encoder.js';

export interface ProbeSource {
  probe: Uint8Array;
  control?: Uint8Array;
}

const voidFunc = funcType([], []);
const sharedCounter = shared(structType([{ type: [I32], mutable: true }]));
const sharedMemory = limits(1, 1, { shared: true });

export const PROBE_SOURCES = {
  /** Shared memory + `i32.atomic.load` (the module wasm-feature-detect uses too). */
  'shared-memory': {
    probe: module({
      types: [voidFunc],
      funcs: [0],
      memories: [sharedMemory],
      code: [[...op.i32Const0, ...op.i32AtomicLoad(), ...op.drop]],
    }),
  },
  /** `(type (shared (struct (field (mut i32)))))`. */
  'set-types': { probe: module({ types: [sharedCounter] }) },
  /** `(global (shared i32) (i32.const 0))`; control: a shared global initialised from an unshared one. */
  'set-globals': {
    probe: module({ globals: [{ type: globalType([I32], { shared: true }), init: op.i32Const0 }] }),
    control: module({
      globals: [
        { type: globalType([I32]), init: op.i32Const0 },
        { type: globalType([I32], { shared: true }), init: op.globalGet(0) },
      ],
    }),
  },
  /** A shared func type and a function of it; control: a shared function calling an unshared one. */
  'set-functions': {
    probe: module({ types: [shared(voidFunc)], funcs: [0], code: [[]] }),
    control: module({ types: [shared(voidFunc), voidFunc], funcs: [0, 1], code: [op.call(1), []] }),
  },
  /** A shared table of `(ref null (shared func))`; control: a shared table of unshared funcref. */
  'set-tables': {
    probe: module({ tables: [[...refNull([SHARED, ABS_FUNC]), ...limits(1, 1, { shared: true })]] }),
    control: module({ tables: [[FUNCREF, ...limits(1, 1, { shared: true })]] }),
  },
  /** `struct.atomic.get acqrel` on a shared struct. */
  'set-gc-atomics': {
    probe: module({
      types: [sharedCounter, funcType([refNull([0])], [[I32]])],
      funcs: [1],
      code: [[...op.localGet(0), ...op.structAtomicGetAcqrel(0, 0)]],
    }),
  },
  /** `global.atomic.get seqcst` on an ordinary mutable global (the instruction is valid on both kinds). */
  'set-global-atomics': {
    probe: module({
      types: [voidFunc],
      funcs: [0],
      globals: [{ type: globalType([I32], { mutable: true }), init: op.i32Const0 }],
      code: [[...op.globalAtomicGet(0), ...op.drop]],
    }),
  },
  /** `pause` (0xFE 0x04). */
  'set-pause': { probe: module({ types: [voidFunc], funcs: [0], code: [op.pause] }) },
  /** Export `n` returns a new shared struct: instantiated and posted to prove conveyance (`set-threads`). */
  'set-threads': {
    probe: module({
      types: [sharedCounter, funcType([], [refNull([0])])],
      funcs: [1],
      exports: [{ name: 'n', kind: 0, index: 0 }],
      code: [[...op.i32Const0, ...op.structNew(0)]],
    }),
  },
  /** `i32.atomic.load` with the acquire/release memarg bit of the current spec text (0x10) and `acqrel`. */
  'acqrel-atomics': {
    probe: module({
      types: [voidFunc],
      funcs: [0],
      memories: [sharedMemory],
      code: [[...op.i32Const0, ...op.i32AtomicLoad('acqrel'), ...op.drop]],
    }),
  },
} satisfies Record<string, ProbeSource>;

export type ProbedCapability = keyof typeof PROBE_SOURCES;
