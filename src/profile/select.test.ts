import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, type Capability, HOSTS } from './caps.js';
import { acceptable, missingFor, type Selectable, select, THREAD_CAPS } from './select.js';

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

/** onnxruntime-web's shape: a threaded SIMD build that runs on one thread where threads cannot start. */
const ort: Selectable[] = [
  {
    name: 'threaded-simd',
    requires: ['shared-memory', 'threads', 'workers', 'simd'],
    threads: 'optional',
  },
  { name: 'simd', requires: ['simd'] },
  { name: 'plain', requires: [] },
];

describe('select with optional threads', () => {
  it('serves an optional-threads build to an isolated page and lets it start threads', () => {
    const result = select(ort, ['shared-memory', 'threads', 'workers', 'simd']);
    expect(result).toMatchObject({ chosen: { name: 'threaded-simd' }, threads: true, fallback: false });
  });

  it('serves an optional-threads build to a page without threads, and says it must stay on one thread', () => {
    const result = select(ort, ['shared-memory', 'simd']);
    expect(result).toMatchObject({ chosen: { name: 'threaded-simd' }, threads: false, rejected: [] });
  });

  it('never grants threads to a single-threaded build, on a profile with every thread capability', () => {
    const single = [{ name: 'plain', requires: [], model: 'single' as const }];
    const all = ['shared-memory', 'threads', 'workers', 'simd'] as const;
    expect(select(single, [...all])).toMatchObject({ chosen: { name: 'plain' }, threads: false });
    const sab = [{ name: 'sab', requires: ['shared-memory', 'threads'] as const, model: 'sab' as const }];
    expect(select(sab, [...all]).threads).toBe(true);
  });

  it('does not let threads start when only some of the thread capabilities are there', () => {
    expect(select(ort, ['shared-memory', 'threads', 'simd']).threads).toBe(false);
  });

  it('still requires shared memory of an optional-threads build: the binary declares it', () => {
    const result = select(ort, ['threads', 'workers', 'simd']);
    expect(result.chosen?.name).toBe('simd');
    expect(result.rejected).toEqual([{ variant: 'threaded-simd', missing: ['shared-memory'] }]);
  });

  it('reports what an optional-threads build lacked without its thread capabilities', () => {
    expect(select(ort, []).rejected).toEqual([
      { variant: 'threaded-simd', missing: ['shared-memory', 'simd'] },
      { variant: 'simd', missing: ['simd'] },
    ]);
  });

  it('lets a build without optional threads start threads whenever it is chosen', () => {
    const result = select(demo, ['shared-memory', 'threads']);
    expect(result).toMatchObject({ chosen: { name: 'sab' }, threads: true });
  });

  it('says a fallback with optional threads must stay on one thread where the profile lacks them', () => {
    const threadedOnly = [ort[0]!];
    expect(select(threadedOnly, [], 'threaded-simd')).toMatchObject({
      chosen: { name: 'threaded-simd' },
      fallback: true,
      threads: false,
    });
    expect(select(threadedOnly, [])).toMatchObject({ chosen: null, fallback: false, threads: false });
  });

  it('counts as thread capabilities what starting threads needs, and not shared memory', () => {
    expect([...THREAD_CAPS].sort()).toEqual(
      ['nested-workers', 'set-threads', 'threads', 'wasi-threads', 'workers'].sort(),
    );
    expect(THREAD_CAPS).not.toContain('shared-memory');
  });

  it('lists missing capabilities in the variant order, leaving out thread ones only when threads are optional', () => {
    const have = new Set<Capability>(['simd']);
    expect(missingFor(ort[0]!, have)).toEqual(['shared-memory']);
    const required = { ...ort[0]!, threads: undefined };
    expect(missingFor(required, have)).toEqual(['shared-memory', 'threads', 'workers']);
  });
});

describe('acceptable', () => {
  it('lists every build a profile can run, in preference order: what a loader falls back on', () => {
    expect(acceptable(ort, ['shared-memory', 'threads', 'workers', 'simd']).map((v) => v.name)).toEqual([
      'threaded-simd',
      'simd',
      'plain',
    ]);
    expect(acceptable(ort, ['shared-memory', 'simd']).map((v) => v.name)).toEqual([
      'threaded-simd',
      'simd',
      'plain',
    ]);
    expect(acceptable(ort, ['simd']).map((v) => v.name)).toEqual(['simd', 'plain']);
    expect(acceptable(demo, ['shared-memory', 'wasi-threads']).map((v) => v.name)).toEqual([
      'wasi-threads',
      'single',
    ]);
  });

  it('lists nothing when no build fits, even where the module marks a fallback', () => {
    expect(acceptable(demo.slice(0, 2), ['simd'])).toEqual([]);
  });

  it('agrees with select: the first acceptable build is the chosen one, the rejected ones are not acceptable (property)', () => {
    const variants = fc
      .array(
        fc.record(
          {
            requires: fc.subarray([...CAPABILITIES.slice(0, 8), 'simd', 'bulk-memory'] as Capability[]),
            threads: fc.constant('optional' as const),
          },
          { requiredKeys: ['requires'] },
        ),
        { maxLength: 8 },
      )
      .map((vs): Selectable[] => vs.map((v, i) => ({ name: `v${i}`, ...v })));
    const profile = fc.subarray([...CAPABILITIES.slice(0, 8), 'simd', 'bulk-memory'] as Capability[]);
    fc.assert(
      fc.property(variants, profile, (vs, caps) => {
        const ok = acceptable(vs, caps);
        const { chosen, rejected, threads } = select(vs, caps);
        expect(chosen).toBe(ok[0] ?? null);
        for (const r of rejected) expect(ok.map((v) => v.name)).not.toContain(r.variant);
        expect(ok).toEqual(vs.filter((v) => missingFor(v, new Set(caps)).length === 0));
        // Threads may start exactly when the chosen build has everything it requires.
        if (chosen) expect(threads).toBe(chosen.requires.every((c) => caps.includes(c)));
      }),
      { numRuns: 500 },
    );
  });
});

/** The shape: a threaded build whose own runtime check never starts threads on Node (it hangs there). */
const hosted: Selectable[] = [
  { name: 'mt', requires: ['shared-memory', 'threads', 'workers'], hosts: ['browser', 'worker'] },
  { name: 'st', requires: [] },
];
const THREADED: Capability[] = ['shared-memory', 'threads', 'workers'];
const forHosts = { variant: 'mt', missing: [], hosts: ['browser', 'worker'] };

describe('select with host declarations', () => {
  it.each([
    ['an isolated browser page', 'browser', THREADED, 'mt', []],
    ['a browser worker with threads', 'worker', THREADED, 'mt', []],
    ['Node with threads', 'node', THREADED, 'st', [forHosts]],
    ['Deno with threads', 'deno', THREADED, 'st', [forHosts]],
    ['a host nobody named, with threads', 'unknown', THREADED, 'st', [forHosts]],
    [
      'a page that is not isolated',
      'browser',
      ['shared-memory'],
      'st',
      [{ variant: 'mt', missing: ['threads', 'workers'] }],
    ],
    [
      'Node without threads (both reasons)',
      'node',
      ['shared-memory'],
      'st',
      [{ ...forHosts, missing: ['threads', 'workers'] }],
    ],
  ] as const)(
    'gives %s (%s) the build declared for it, and says why the others were passed over',
    (_who, host, caps, want, rejected) => {
      const result = select(hosted, { host, caps });
      expect(result.chosen?.name).toBe(want);
      expect(result.rejected).toEqual(rejected);
      expect(acceptable(hosted, { host, caps })[0]?.name).toBe(want);
    },
  );

  it('reads bare capabilities as a profile of host unknown: a host-declared build is passed over', () => {
    expect(select(hosted, THREADED)).toMatchObject({ chosen: { name: 'st' }, rejected: [forHosts] });
    expect(acceptable(hosted, THREADED).map((v) => v.name)).toEqual(['st']);
  });

  it('serves the fallback whatever the profile lacks, but never on a host it is not declared for', () => {
    const only = [hosted[0]!];
    expect(select(only, { host: 'browser', caps: [] }, 'mt')).toMatchObject({
      chosen: { name: 'mt' },
      fallback: true,
    });
    expect(select(only, { host: 'node', caps: THREADED }, 'mt')).toMatchObject({
      chosen: null,
      fallback: false,
      threads: false,
      rejected: [forHosts],
    });
  });

  it('lists in acceptable only the builds declared for the host: a loader never falls back onto another host’s build', () => {
    expect(acceptable(hosted, { host: 'browser', caps: THREADED }).map((v) => v.name)).toEqual(['mt', 'st']);
    expect(acceptable(hosted, { host: 'node', caps: THREADED }).map((v) => v.name)).toEqual(['st']);
  });

  const POOL = [...CAPABILITIES.slice(0, 6), 'simd'] as Capability[];

  it('chooses for a record without hosts as before, whatever the host (property)', () => {
    const variants = fc
      .array(fc.record({ requires: fc.subarray(POOL), optional: fc.boolean() }), { maxLength: 6 })
      .map((vs): Selectable[] =>
        vs.map((v, i) => ({
          name: `v${i}`,
          requires: v.requires,
          ...(v.optional ? { threads: 'optional' } : {}),
        })),
      );
    fc.assert(
      fc.property(variants, fc.subarray(POOL), fc.constantFrom(...HOSTS), (vs, caps, host) => {
        expect(select(vs, { host, caps }, vs[0]?.name)).toEqual(select(vs, caps, vs[0]?.name));
        expect(acceptable(vs, { host, caps })).toEqual(acceptable(vs, caps));
      }),
      { numRuns: 300 },
    );
  });

  it('never chooses a build on a host it is not declared for, and names the hosts of every build it passed over for that (property)', () => {
    const variants = fc
      .array(
        fc.record({
          requires: fc.subarray(POOL),
          hosts: fc.option(fc.subarray(['browser', 'worker', 'node'] as const, { minLength: 1 }), {
            nil: undefined,
          }),
        }),
        { maxLength: 6 },
      )
      .map((vs): Selectable[] =>
        vs.map((v, i) => ({ name: `v${i}`, requires: v.requires, ...(v.hosts ? { hosts: v.hosts } : {}) })),
      );
    fc.assert(
      fc.property(variants, fc.subarray(POOL), fc.constantFrom(...HOSTS), (vs, caps, host) => {
        const { chosen, rejected } = select(vs, { host, caps }, vs.at(-1)?.name);
        if (chosen) expect(chosen.hosts === undefined || chosen.hosts.includes(host as never)).toBe(true);
        for (const r of rejected) {
          const v = vs.find((x) => x.name === r.variant)!;
          const here = v.hosts === undefined || v.hosts.includes(host as never);
          expect(r.hosts).toEqual(here ? undefined : v.hosts);
          expect(here && r.missing.length === 0).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
