import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countReads, READS_PER_BYTE } from './count-reads.test-helper.js';
import { InspectError, inspect } from './index.js';
import {
  body,
  concat,
  func,
  HEADER,
  limits,
  memories,
  op,
  section,
  types,
  u32,
  wasm,
} from './wasm-builder.js';

/**
 * These tests guard against work that grows faster than the input (a decoder that re-reads, or a
 * loop that never ends), not against a slow machine: they count work instead of timing it, so a
 * loaded CI runner cannot fail them and a quadratic decoder cannot pass them.
 *
 * The unit of work is a call of a Reader method. Every read consumes input and every loop of the
 * decoder reads, so a decoder that never goes back makes a few calls per byte (at most 2 on every
 * input measured, fuzzed ones included); one that goes back over what it read makes thousands per
 * byte on inputs of a few MB. The budget leaves 4x room for how reads are split up.
 */

/**
 * A hang guard only, for work the counter cannot see (allocation, copying): linear inspection of
 * these inputs takes well under a second, a quadratic one minutes. Far from both on any machine.
 */
const HANG_GUARD_MS = 20_000;

/**
 * Inspects `bytes` once, cold, the way the server meets a freshly published binary, counting
 * Reader calls; past the budget the count throws (not an InspectError), so a reading loop that
 * never ends fails the test instead of hanging it. Refusals (InspectError) count as answers.
 */
function inspectCounted(bytes: Uint8Array): { calls: number; report: ReturnType<typeof inspect> | null } {
  const budget = READS_PER_BYTE * (bytes.length + 1);
  const start = performance.now();
  const { value: report, calls } = countReads(budget, () => {
    try {
      return inspect(bytes);
    } catch (error) {
      if (!(error instanceof InspectError)) throw error;
      return null;
    }
  });
  expect(performance.now() - start, 'hang guard, not a performance target').toBeLessThan(HANG_GUARD_MS);
  return { calls, report };
}

/** Inspects `bytes` and checks its work stayed linear: within READS_PER_BYTE calls per byte. */
function linear(bytes: Uint8Array): ReturnType<typeof inspect> | null {
  const { calls, report } = inspectCounted(bytes);
  expect(calls).toBeGreaterThan(0);
  expect(calls).toBeLessThanOrEqual(READS_PER_BYTE * (bytes.length + 1));
  return report;
}

/** A section holding `count` copies of `entry`, built without spreading millions of arguments. */
function repeated(id: number, entry: number[], count: number): Uint8Array {
  const head = u32(count);
  const content = new Uint8Array(head.length + entry.length * count);
  content.set(head);
  for (let i = 0; i < count; i++) content.set(entry, head.length + i * entry.length);
  const size = u32(content.length);
  const out = new Uint8Array(1 + size.length + content.length);
  out.set([id, ...size]);
  out.set(content, 1 + size.length);
  return out;
}

const MB3 = 3_000_000;
const funcType = types(func([], []));

/** Shapes a hostile publisher could send: each a few MB, each worst for some part of the decoder. */
const HOSTILE: [string, Uint8Array][] = [
  // Each import becomes an object of the report: allocation, not decoding, is the cost here.
  ['500,000 imports with empty names', concat(HEADER, funcType, repeated(2, [0, 0, 0, 0], 500_000))],
  ['1,000,000 function types', concat(HEADER, repeated(1, [0x60, 0, 0], 1_000_000))],
  [
    '500,000 globals with constant initialisers',
    concat(HEADER, repeated(6, [0x7f, 0, 0x41, 0, 0x0b], 500_000)),
  ],
  [
    '750,000 empty functions',
    concat(HEADER, funcType, repeated(3, [0], MB3 / 4), repeated(10, [2, 0, 0x0b], MB3 / 4)),
  ],
  ['1,000,000 passive element segments', concat(HEADER, repeated(9, [1, 0, 0], 1_000_000))],
];

describe('inspection work stays linear in the input on inputs of a few MB', () => {
  it.each(HOSTILE)('%s', (_what, bytes) => {
    expect(bytes.length).toBeGreaterThan(2_000_000);
    // Read to the end and accepted: a count that stopped at an early refusal would prove nothing.
    expect(linear(bytes)?.model).toBe('single');
  });

  it('a 5 MB code section of ordinary instructions', () => {
    const instrs = [
      op.localGet(0),
      [0x28, 2, ...u32(1024)],
      op.i32Const(77),
      op.i32Add,
      op.block(),
      op.end,
      op.drop,
    ];
    const one = body([[2, [0x7f]]], ...Array<number[][]>(20).fill(instrs).flat());
    const count = Math.floor(5_000_000 / one.length);
    const bytes = concat(
      HEADER,
      types(func([[0x7f]], [])),
      repeated(3, [0], count),
      memories(limits(0, 1)),
      repeated(10, one, count),
    );
    expect(linear(bytes)?.model).toBe('single');
  });

  it('one function with a 3,000,000-label br_table', () => {
    const labels = 3_000_000;
    const inner = concat([0, 0x41, 0, 0x0e, ...u32(labels)], new Uint8Array(labels + 1), [0x0b]);
    const bytes = concat(
      wasm(types(func([], [])), section(3, [1, 0])),
      [10, ...u32(1 + u32(inner.length).length + inner.length), 1, ...u32(inner.length)],
      inner,
    );
    expect(linear(bytes)?.model).toBe('single');
  });
});

/** WebAssembly binaries that ship inside installed packages: real producers, real sizes. */
const SHIPPED = [
  'node_modules/blake3-wasm/dist/wasm/nodejs/blake3_js_bg.wasm',
  'node_modules/playwright-core/lib/webp_codec.wasm',
];

describe('real-world binaries from installed packages', () => {
  it.each(SHIPPED)('inspects %s as a single-threaded build, in work linear in its size', (path) => {
    // Pinned by package-lock.json; if an update moves the file, this fails and the path is updated.
    expect(existsSync(path), `${path} is missing`).toBe(true);
    const report = linear(readFileSync(path));
    expect(report?.model).toBe('single');
    expect(report?.exports.length).toBeGreaterThan(0);
  });
});
