import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, normalizeCaps, THREAD_MODELS } from '../profile/caps.js';
import { countReads, READS_PER_BYTE } from './count-reads.test-helper.js';
import { InspectError, inspect } from './index.js';
import { MAIN, PREFIXED } from './opcodes.js';
import {
  body,
  code,
  datas,
  exports,
  field,
  func,
  functions,
  globals,
  HEADER,
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
  targetFeatures,
  types,
  u32,
  wasm,
} from './wasm-builder.js';

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((b) => Number.parseInt(b, 16)));

/** Valid modules to mutate: the documented probes plus builder modules touching every section kind. */
const CORPUS: Uint8Array[] = [
  fromHex('0061736d01000000010401600000030201000504010301010a0b0109004100fe1002001a0b'),
  fromHex('0061736d01000000010c02655f017f0160016300017f030201010a0b0109002000fe5c0100000b'),
  fromHex('0061736d01000000040701636570030101'),
  fromHex('0061736d010000000108026560000060000003030200010a0902040010010b02000b'),
  wasm(
    types(func([[t.i32]], [[t.i32]]), func([[t.i32], [t.i32]], []), shared(struct(field([t.i64])))),
    imports(
      imp.func('wasi', 'thread-spawn', 0),
      imp.memory('env', 'memory', limits(0x03, 1, 100)),
      imp.global('env', 'g', [t.i32], 0x03),
    ),
    functions(1),
    tags(1),
    globals({ type: [t.i32], mut: 1, init: [...op.i32Const(1), ...op.i32Const(2), ...op.i32Add] }),
    exports(['wasi_thread_start', 'func', 1], ['g', 'global', 1]),
    code(
      body(
        [[1, [t.v128]]],
        op.i32Const(0),
        op.atomic(0x1e, op.memarg(0x12, 0, [0x11]), []),
        op.drop,
        [0x1f, 0x40, 1, 0x02, 0],
        op.simd(0x0c, Array(16).fill(7)),
        op.drop,
        op.end,
        op.atomic(0x04),
      ),
    ),
    datas([0x09, 2, 1, 2]),
    targetFeatures('+atomics', '-simd128', '=bulk-memory'),
  ),
  oneFunction([op.block([0]), [0x06, 0x40], [0x19], op.end, op.end, [0xd0, 0x65, 0x6e], op.drop], {
    before: [memories(limits(0x04, 1))],
  }),
];

/** inspect answers with a consistent report or an InspectError inside the input, in linear work. */
const inspectedLinearly = (bytes: Uint8Array) => {
  const budget = READS_PER_BYTE * (bytes.length + 1);
  let report: ReturnType<typeof inspect> | undefined;
  const { calls } = countReads(budget, () => {
    try {
      report = inspect(bytes);
    } catch (error) {
      // The only acceptable failure: an InspectError pointing inside the input.
      if (!(error instanceof InspectError)) throw error;
      expect(error.offset).toBeGreaterThanOrEqual(0);
      expect(error.offset).toBeLessThanOrEqual(bytes.length);
    }
  });
  expect(calls).toBeLessThanOrEqual(budget);
  if (report) {
    expect(THREAD_MODELS).toContain(report.model);
    expect(report.requires).toEqual(normalizeCaps(report.requires));
    for (const cap of report.requires) expect(CAPABILITIES).toContain(cap);
  }
};

/** A mutation of a valid module: overwrite, insert, delete, or truncate. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(source: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = [...source];
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === 'set') bytes[at] = m.value;
    else if (m.kind === 'insert') bytes.splice(at, 0, ...m.bytes);
    else if (m.kind === 'delete') bytes.splice(at, m.length);
    else bytes = bytes.slice(0, at);
  }
  return Uint8Array.from(bytes);
}

/** One instruction drawn from the opcode tables, with random bytes standing in for its immediates. */
const KNOWN_OPS: number[][] = [
  ...MAIN.flatMap((spec, opcode) => (spec && opcode !== 0x0b ? [[opcode]] : [])),
  ...[...PREFIXED].flatMap(([prefix, table]) =>
    table.flatMap((spec, sub) => (spec ? [[prefix, ...u32(sub)]] : [])),
  ),
];
const instruction = fc.tuple(fc.constantFrom(...KNOWN_OPS), fc.uint8Array({ maxLength: 6 }));

describe('hostile input: inspect returns a report or throws InspectError, in work linear in its size', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => inspectedLinearly(bytes)),
      { numRuns: 1000 },
    );
  });

  it('a valid header followed by random sections', () => {
    const randomSection = fc
      .tuple(fc.integer({ min: 0, max: 13 }), fc.uint8Array({ maxLength: 64 }))
      .map(([id, content]) => section(id, [...content]));
    fc.assert(
      fc.property(fc.array(randomSection, { maxLength: 6 }), (sections) =>
        inspectedLinearly(Uint8Array.from([...HEADER, ...sections.flat()])),
      ),
      { numRuns: 1000 },
    );
  });

  it('random mutations and truncations of valid modules', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CORPUS),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (source, ms) => inspectedLinearly(mutate(source, ms)),
      ),
      { numRuns: 2000 },
    );
  });

  it('random instruction streams inside a well-formed function body', () => {
    fc.assert(
      fc.property(fc.array(instruction, { maxLength: 24 }), (instrs) => {
        const stream = instrs.flatMap(([opcode, immediates]) => [...opcode, ...immediates]);
        inspectedLinearly(oneFunction([stream], { before: [memories(limits(0x03, 1, 1))] }));
      }),
      { numRuns: 1000 },
    );
  });

  it('starts from a corpus that inspects cleanly, and draws from every opcode the tables know', () => {
    for (const bytes of CORPUS) expect(() => inspect(bytes)).not.toThrow();
    expect(KNOWN_OPS.length).toBeGreaterThan(500);
  });
});
