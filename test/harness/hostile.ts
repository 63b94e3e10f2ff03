import fc from 'fast-check';
import { CAPABILITIES } from '../../src/profile/caps.js';

// --- hostile input --------------------------------------------------------------------------------

/**
 * A taint: a marker that cannot occur in weft's own answers (`qz` is in no message, hex or name
 * weft writes), embedded in hostile input so an echo can be found wherever it lands.
 */
export const taint = fc.stringMatching(/^[a-z0-9]{6}$/).map((s) => `qz${s}`);

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const anyText = fc.string({ unit: 'binary', maxLength: 40 });

const TRAVERSALS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '%252e%252e',
  '..%2f..%2f..%2fmanifest.json',
  '..%252f..%252fcanary.txt',
  '%2e%2e%5c%2e%2e%5ccanary.txt',
  '..\\..\\canary.txt',
  '....//....//',
  '%00',
  'demo%00.wasm',
  '%c0%ae%c0%ae',
  '%ef%bc%8e%ef%bc%8e',
  `sha256-${'0'.repeat(64)}.wasm/..`,
  'constructor',
  '__proto__',
  'prototype',
  'hasownproperty',
  'tostring',
];

/** Path segments: valid names, traversal and encoding tricks, prototype names, junk, very long names. */
export const segment = (taintArb = taint) =>
  fc.oneof(
    { arbitrary: fc.constantFrom('demo', 'big', 'single', 'sab', 'set', 'wasi-threads'), weight: 3 },
    { arbitrary: fc.constantFrom(...TRAVERSALS), weight: 4 },
    { arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,70}$/), weight: 2 },
    { arbitrary: taintArb, weight: 2 },
    { arbitrary: fc.tuple(printable, taintArb, printable).map(([a, t, b]) => a + t + b), weight: 2 },
    { arbitrary: fc.tuple(anyText, taintArb).map(([a, t]) => encodeURIComponent(a) + t), weight: 2 },
    { arbitrary: fc.integer({ min: 60, max: 3000 }).map((n) => 'a'.repeat(n)), weight: 1 },
  );

const knownCap = fc.constantFrom(...CAPABILITIES);

/** A readable capability list, sometimes hostile: known names, unknown names, taints, junk, spaces. */
export const capsList = fc
  .array(
    fc.oneof(
      { arbitrary: knownCap, weight: 5 },
      { arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/), weight: 2 },
      { arbitrary: taint, weight: 1 },
      { arbitrary: fc.tuple(printable, taint).map(([a, t]) => a + t), weight: 1 },
      {
        arbitrary: fc.constantFrom('', ' ', 'THREADS', 'simd ', '<script>', '-x', 'a'.repeat(70)),
        weight: 1,
      },
    ),
    { maxLength: 12 },
  )
  .map((items) => items.join(','));

/** A profile token: well-formed, mutated, or junk. */
export const profileToken = fc.oneof(
  fc.stringMatching(/^1[A-H][A-Za-z0-9_-]{0,12}$/),
  fc.stringMatching(/^[0-9][A-Za-z0-9_-]{0,80}$/),
  fc.tuple(printable, taint).map(([a, t]) => a + t),
  fc.constantFrom('', '1', '1A', '1AA', '2AB', '1Z', '1A/', `1A${'_'.repeat(80)}`),
);

/** Header values a client could send (printable ASCII; fetch trims the ends). */
export const headerValue = fc.oneof(
  printable,
  fc.tuple(printable, taint, printable).map((p) => p.join('')),
);

export const rangeHeader = fc.oneof(
  fc.tuple(fc.nat(70_000), fc.nat(70_000)).map(([a, b]) => `bytes=${a}-${b}`),
  fc.nat(70_000).map((a) => `bytes=${a}-`),
  fc.nat(70_000).map((n) => `bytes=-${n}`),
  fc.constantFrom(
    'bytes=0-0',
    'bytes=-0',
    'bytes=0-7,9-12',
    'bytes=7-3',
    'bytes=--1',
    'items=0-1',
    'bytes=99999999999999999999-',
  ),
  headerValue,
);

export const acceptEncoding = fc.oneof(
  fc
    .subarray(['br', 'gzip', 'identity', 'deflate', '*', 'zstd'])
    .chain((names) =>
      fc
        .tuple(
          ...names.map((n) =>
            fc
              .option(fc.constantFrom('0', '0.5', '1', '1.0', 'x', '-1'), { nil: undefined })
              .map((q) => (q ? `${n};q=${q}` : n)),
          ),
        )
        .map((parts) => parts.join(', ')),
    ),
  headerValue,
);

export const ifNoneMatch = (etags: string[]) =>
  fc.oneof(
    fc.constantFrom(...etags, '*', 'W/"x"', '""', '"sha256-"'),
    fc.constantFrom(...etags).map((e) => `W/${e}`),
    fc.tuple(fc.constantFrom(...etags), headerValue).map(([e, h]) => `${h}, ${e}`),
    headerValue,
  );
