import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, type Capability } from './caps.js';
import { select } from './select.js';

const demo = [
  { name: 'set', requires: ['set-types', 'set-gc-atomics', 'set-threads'] as Capability[] },
  { name: 'sab', requires: ['shared-memory', 'threads'] as Capability[] },
  { name: 'wasi-threads', requires: ['shared-memory', 'wasi-threads'] as Capability[] },
  { name: 'single', requires: [] as Capability[] },
];

describe('select', () => {
  it.each([
    ['an isolated browser page', ['shared-memory', 'threads', 'workers', 'wasi-threads'], 'sab', ['set']],
    [
      'a page that is not isolated',
      ['shared-memory', 'workers', 'simd'],
      'single',
      ['set', 'sab', 'wasi-threads'],
    ],
    [
      'Node 26 with the SET flag',
      ['shared-memory', 'threads', 'set-types', 'set-gc-atomics', 'set-pause', 'set-threads'],
      'set',
      [],
    ],
    [
      'a WASI host declaring only wasi-threads',
      ['shared-memory', 'wasi-threads'],
      'wasi-threads',
      ['set', 'sab'],
    ],
  ])(
    'gives %s the first variant it can run, and says why the earlier ones were rejected',
    (_who, caps, want, rejected) => {
      const result = select(demo, caps as Capability[]);
      expect(result.chosen?.name).toBe(want);
      expect(result.rejected.map((r) => r.variant)).toEqual(rejected);
    },
  );

  it('reports exactly the missing capabilities of each rejected variant', () => {
    const result = select(demo, ['shared-memory', 'workers']);
    expect(result.rejected).toEqual([
      { variant: 'set', missing: ['set-types', 'set-gc-atomics', 'set-threads'] },
      { variant: 'sab', missing: ['threads'] },
      { variant: 'wasi-threads', missing: ['wasi-threads'] },
    ]);
  });

  it('answers nothing when no variant fits, unless the module marks a fallback', () => {
    const threaded = demo.slice(0, 2);
    expect(select(threaded, []).chosen).toBeNull();
    const withFallback = select(threaded, [], 'sab');
    expect(withFallback).toMatchObject({ chosen: { name: 'sab' }, fallback: true });
    expect(withFallback.rejected).toHaveLength(2);
  });

  it('never chooses a variant whose requirements the profile lacks, and never skips one it meets (property)', () => {
    const variants = fc.array(
      fc.record({
        name: fc.string({ minLength: 1, maxLength: 8 }),
        requires: fc.subarray([...CAPABILITIES]),
      }),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(variants, fc.subarray([...CAPABILITIES]), (vs, caps) => {
        const { chosen, rejected } = select(vs, caps);
        const i = chosen ? vs.indexOf(chosen) : vs.length;
        for (const v of vs.slice(0, i)) expect(v.requires.some((c) => !caps.includes(c))).toBe(true);
        if (chosen) expect(chosen.requires.every((c) => caps.includes(c))).toBe(true);
        expect(rejected).toHaveLength(i);
      }),
      { numRuns: 500 },
    );
  });
});
