import { describe, expect, it } from 'vitest';
import type { Capability } from '../profile/caps.js';
import { inspect } from './index.js';
import {
  body,
  code,
  custom,
  exports,
  field,
  func,
  functions,
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
  targetFeatures,
  types,
  wasm,
} from './wasm-builder.js';

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((b) => Number.parseInt(b, 16)));

/** The probe modules of threading-models.md section 3, byte for byte. */
const SET_PROBES: [string, string, Capability][] = [
  ['a shared struct type', '0061736d01000000010601655f017f01', 'set-types'],
  ['a shared const i32 global', '0061736d010000000606017f0241000b', 'set-globals'],
  [
    'a shared func type and a shared function',
    '0061736d0100000001050165600000030201000a040102000b',
    'set-functions',
  ],
  ['a shared table of (ref null (shared func))', '0061736d01000000040701636570030101', 'set-tables'],
  [
    'struct.atomic.get acqrel on a shared struct',
    '0061736d01000000010c02655f017f0160016300017f030201010a0b0109002000fe5c0100000b',
    'set-gc-atomics',
  ],
  ['pause', '0061736d01000000010401600000030201000a06010400fe040b', 'set-pause'],
  [
    'a function returning a new shared struct (the set-threads conveyance probe)',
    '0061736d01000000010b02655f017f01600001630003020101070501016e00000a090107004100fb00000b',
    'set-types',
  ],
];

/** The negative controls: engines must reject them, but they are still shared-everything binaries. */
const SET_CONTROLS: [string, string, Capability][] = [
  [
    'a shared global initialised from an unshared one',
    '0061736d01000000060b027f0041000b7f0223000b',
    'set-globals',
  ],
  ['a shared table of unshared funcref', '0061736d0100000004050170030101', 'set-tables'],
  [
    'a shared function calling an unshared one',
    '0061736d010000000108026560000060000003030200010a0902040010010b02000b',
    'set-functions',
  ],
];

describe('shared-everything binaries: every probe module needs its own set-* capability', () => {
  it.each([...SET_PROBES, ...SET_CONTROLS])('%s → shared-everything requiring it', (_what, hex, cap) => {
    const report = inspect(fromHex(hex));
    expect(report.model).toBe('shared-everything');
    expect(report.requires).toContain(cap);
    expect(report.requires).toContain('set-threads');
  });

  it('a module with only a shared struct type needs set-types, set-threads and gc, nothing else', () => {
    const report = inspect(wasm(types(shared(struct(field([t.i32]))))));
    expect(report).toMatchObject({
      model: 'shared-everything',
      requires: ['set-types', 'set-threads', 'gc'],
    });
  });
});

describe('SAB threads', () => {
  it('the 37-byte shared memory + i32.atomic.load module is a SAB build needing shared-memory and threads', () => {
    const bytes = fromHex('0061736d01000000010401600000030201000504010301010a0b01090041' + '00fe1002001a0b');
    expect(bytes.length).toBe(37);
    expect(inspect(bytes)).toEqual({
      model: 'sab',
      requires: ['shared-memory', 'threads'],
      imports: [],
      exports: [],
      targetFeatures: null,
      toolchain: { toolchain: 'unknown', threads: 'unknown', evidence: [], confidence: 'low' },
      // Nothing says who starts threads: assumed to, so that no page that cannot run them gets it.
      notes: [
        'shared memory and no evidence of how threads start: treated as SAB threads (publish the glue beside the wasm, or declare the model)',
      ],
    });
  });

  it('a shared memory that no atomic instruction touches is still SAB, with a note', () => {
    const report = inspect(wasm(memories(limits(0x03, 1, 1))));
    expect(report.model).toBe('sab');
    expect(report.requires).toEqual(['shared-memory', 'threads']);
    expect(report.notes).toContain('shared memory without atomics: no atomic instruction is used');
  });

  it('an Emscripten-style build importing env.memory shared is SAB, and the import says shared', () => {
    const report = inspect(wasm(imports(imp.memory('env', 'memory', limits(0x03, 256, 32768)))));
    expect(report.model).toBe('sab');
    expect(report.imports).toEqual([{ module: 'env', name: 'memory', kind: 'memory', shared: true }]);
  });

  it('pause in a shared-memory build keeps the SAB model but requires set-pause', () => {
    const report = inspect(
      oneFunction([op.i32Const(0), op.atomic(0x10, op.memarg(2, 0)), op.drop, op.atomic(0x04)], {
        before: [memories(limits(0x03, 1, 1))],
      }),
    );
    expect(report.model).toBe('sab');
    expect(report.requires).toEqual(['shared-memory', 'threads', 'set-pause']);
  });

  it('atomics on an unshared memory need shared-memory (atomics must validate) but stay single-threaded', () => {
    const report = inspect(
      oneFunction([op.i32Const(0), op.atomic(0x10, op.memarg(2, 0)), op.drop], {
        before: [memories(limits(0, 1))],
      }),
    );
    expect(report.model).toBe('single');
    expect(report.requires).toEqual(['shared-memory']);
  });
});

/** A wasi-threads module: spawn import, start export, imported shared memory (section 4). */
function wasiThreads(
  options: { spawn?: string | null; spawnType?: number; memory?: 'imported' | 'defined' } = {},
) {
  const { spawn = 'thread-spawn', spawnType = 0, memory = 'imported' } = options;
  const entries = [imp.func('wasi_snapshot_preview1', 'fd_write', 2)];
  if (spawn) entries.unshift(imp.func('wasi', spawn, spawnType));
  if (memory === 'imported') entries.push(imp.memory('env', 'memory', limits(0x03, 2, 16384)));
  const importedFuncs = spawn ? 2 : 1;
  return wasm(
    types(
      func([[t.i32]], [[t.i32]]),
      func([[t.i32], [t.i32]], []),
      func([[t.i32], [t.i32], [t.i32], [t.i32]], [[t.i32]]),
    ),
    imports(...entries),
    functions(1),
    ...(memory === 'defined' ? [memories(limits(0x03, 2, 16384))] : []),
    exports(['wasi_thread_start', 'func', importedFuncs], ['memory', 'memory', 0]),
    code(body([])),
  );
}

describe('wasi-threads', () => {
  it('thread-spawn (i32)->i32 + wasi_thread_start (i32 i32)->() + imported shared memory → wasi-threads', () => {
    const report = inspect(wasiThreads());
    expect(report.model).toBe('wasi-threads');
    expect(report.requires).toEqual(['shared-memory', 'wasi-threads']);
    expect(report.imports.map((i) => `${i.module}.${i.name}`)).toEqual([
      'wasi.thread-spawn',
      'wasi_snapshot_preview1.fd_write',
      'env.memory',
    ]);
  });

  it('recognises the older thread_spawn spelling', () => {
    expect(inspect(wasiThreads({ spawn: 'thread_spawn' })).model).toBe('wasi-threads');
  });

  it('a threads-ready WASI build that never spawns is single-threaded but still needs shared-memory', () => {
    const report = inspect(wasiThreads({ spawn: null }));
    expect(report.model).toBe('single');
    expect(report.requires).toEqual(['shared-memory']);
    expect(report.notes.join('\n')).toMatch(/threads-ready WASI build that never spawns/);
  });

  it('a thread-spawn import of the wrong type is not wasi-threads: SAB, with a note saying why', () => {
    const report = inspect(wasiThreads({ spawnType: 1 }));
    expect(report.model).toBe('sab');
    expect(report.notes.join('\n')).toMatch(/wasi.thread-spawn is not \(i32\) -> i32/);
  });

  it('a defined (not imported) shared memory is not wasi-threads', () => {
    const report = inspect(wasiThreads({ memory: 'defined' }));
    expect(report.model).toBe('sab');
    expect(report.notes.join('\n')).toMatch(/the shared memory is not imported/);
  });
});

describe('single-threaded builds', () => {
  it('the empty module needs nothing', () => {
    expect(inspect(wasm())).toEqual({
      model: 'single',
      requires: [],
      imports: [],
      exports: [],
      targetFeatures: null,
      toolchain: { toolchain: 'unknown', threads: 'never', evidence: [], confidence: 'low' },
      notes: [],
    });
  });

  it('an MVP module with an unshared memory, a funcref table and i32 exports needs nothing', () => {
    const report = inspect(
      wasm(
        types(func([[t.i32]], [[t.i32]])),
        functions(0),
        section(4, [1, t.funcref, ...limits(0, 1)]),
        memories(limits(0, 1)),
        exports(['f', 'func', 0], ['memory', 'memory', 0]),
        code(body([], op.localGet(0))),
      ),
    );
    expect(report.model).toBe('single');
    expect(report.requires).toEqual([]);
    expect(report.exports).toEqual([
      { name: 'f', kind: 'func' },
      { name: 'memory', kind: 'memory' },
    ]);
  });
});

describe('target_features: reported, and every disagreement with the binary noted', () => {
  it('reports the entries as written and adds no note when they agree', () => {
    const report = inspect(
      wasm(
        types(func([], [])),
        functions(0),
        memories(limits(0x03, 1, 1)),
        code(body([], op.i32Const(0), op.atomic(0x10, op.memarg(2, 0)), op.drop)),
        targetFeatures('+atomics', '+mutable-globals'),
      ),
    );
    expect(report.targetFeatures).toEqual(['+atomics', '+mutable-globals']);
    expect(report.notes).toEqual([
      'shared memory and no evidence of how threads start: treated as SAB threads (publish the glue beside the wasm, or declare the model)',
      'target_features lists +mutable-globals but the module has no imported or exported mutable global (a note only, not a requirement)',
    ]);
  });

  it('+atomics and +simd128 on a module with neither: notes only, no requirement', () => {
    const report = inspect(wasm(targetFeatures('+atomics', '+simd128')));
    expect(report.model).toBe('single');
    expect(report.requires).toEqual([]);
    expect(report.notes).toEqual([
      'target_features lists +atomics but the module has no shared memory and no atomic instruction',
      'target_features lists +simd128 but the module has no SIMD instruction or v128 value (a note only, not a requirement)',
    ]);
  });

  it('a shared memory without +atomics, SIMD under -simd128: both disagreements noted', () => {
    const report = inspect(
      oneFunction([op.simd(0x0c, Array(16).fill(0)), op.drop], {
        before: [memories(limits(0x03, 1, 1))],
        after: [targetFeatures('-simd128')],
      }),
    );
    expect(report.requires).toEqual(['shared-memory', 'threads', 'simd']);
    expect(report.notes).toContain(
      'the module has a shared memory but target_features does not list +atomics',
    );
    expect(report.notes).toContain('target_features disallows simd128 (-simd128) but the module uses simd');
  });

  it('LLVM 20 spells bulk memory +bulk-memory-opt: memory.fill under it is no disagreement', () => {
    const report = inspect(
      oneFunction([op.i32Const(0), op.i32Const(0), op.i32Const(0), op.misc(11, [0])], {
        before: [memories(limits(0, 1))],
        after: [targetFeatures('+bulk-memory-opt')],
      }),
    );
    expect(report.requires).toEqual(['bulk-memory']);
    expect(report.notes).toEqual([]);
  });

  it('a malformed target_features section is a note, not a refusal (engines ignore custom sections)', () => {
    const report = inspect(wasm(custom('target_features', [2, 0x2b, 3, 0x61])));
    expect(report.targetFeatures).toBeNull();
    expect(report.notes.join('\n')).toMatch(/target_features section is malformed/);
  });
});
