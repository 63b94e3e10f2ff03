import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Capability,
  HOSTS,
  type Host,
  THREAD_MODELS,
  type ThreadModel,
  type VariantHost,
} from './caps.js';
import { type Orderable, orderVariants } from './order.js';
import { MODEL_RANK, runsOn, select, THREAD_CAPS } from './select.js';

const v = (
  name: string,
  model: ThreadModel,
  requires: Capability[],
  optional = false,
  hosts?: VariantHost[],
): Orderable => ({
  name,
  model,
  requires,
  ...(optional ? { threads: 'optional' as const } : {}),
  ...(hosts ? { hosts } : {}),
});

const names = (vs: readonly Orderable[]) => vs.map((x) => x.name);

/** What a profile must have for the variant to be chosen: its requirements, less thread ones when optional. */
const effective = (x: Orderable): Capability[] =>
  x.threads === 'optional' ? x.requires.filter((c) => !THREAD_CAPS.includes(c)) : [...x.requires];
const subset = (a: readonly Capability[], b: readonly Capability[]) => a.every((c) => b.includes(c));
const strictSubset = (a: readonly Capability[], b: readonly Capability[]) =>
  subset(a, b) && new Set(b).size > new Set(a).size;

/** Every ordering of a list, to show an answer does not depend on the order builds were published in. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('orderVariants', () => {
  const plain = v('plain', 'single', []);
  const simd = v('simd', 'single', ['simd']);
  const threadedSimd = v('threaded-simd', 'sab', ['shared-memory', 'threads', 'workers', 'simd']);

  it('three builds published as shipped (plain, -simd, -threaded-simd) come out threaded-simd > simd > plain', () => {
    const { variants, reasons, hidden } = orderVariants([plain, simd, threadedSimd]);
    expect(names(variants)).toEqual(['threaded-simd', 'simd', 'plain']);
    expect(reasons).toEqual([
      'threaded-simd before simd: thread model sab is preferred to single',
      'simd before plain: it requires everything plain requires and more (simd)',
    ]);
    expect(hidden).toEqual([]);
  });

  it('puts the same three builds in the same order whatever order they were published in', () => {
    for (const given of permutations([plain, simd, threadedSimd]))
      expect(names(orderVariants(given).variants)).toEqual(['threaded-simd', 'simd', 'plain']);
  });

  it('prefers the most capable thread model: shared-everything, then sab, then wasi-threads, then single', () => {
    const given = [
      v('single', 'single', []),
      v('wasi', 'wasi-threads', ['shared-memory', 'wasi-threads']),
      v('sab', 'sab', ['shared-memory', 'threads']),
      v('set', 'shared-everything', ['set-types', 'set-threads']),
    ];
    const { variants, reasons } = orderVariants(given);
    expect(names(variants)).toEqual(['set', 'sab', 'wasi', 'single']);
    expect(reasons[0]).toBe('set before sab: thread model shared-everything is preferred to sab');
  });

  it.each([
    [
      'a relaxed-SIMD build before the SIMD build it extends, whatever their names',
      [v('a-fast', 'single', ['simd']), v('z-fastest', 'single', ['simd', 'relaxed-simd'])],
      ['z-fastest', 'a-fast'],
    ],
    [
      'a build needing nested workers before the threaded build it extends',
      [
        v('pool', 'sab', ['shared-memory', 'threads']),
        v('pool-nested', 'sab', ['shared-memory', 'threads', 'nested-workers']),
      ],
      ['pool-nested', 'pool'],
    ],
    [
      'builds no rule orders (SIMD and bulk memory) as given',
      [v('bulk', 'single', ['bulk-memory']), v('simd', 'single', ['simd'])],
      ['bulk', 'simd'],
    ],
    [
      'builds no rule orders as given, the other way round',
      [v('simd', 'single', ['simd']), v('bulk', 'single', ['bulk-memory'])],
      ['simd', 'bulk'],
    ],
    [
      'a larger requirement set of another thread model after a more capable model',
      [
        v('wasi', 'wasi-threads', ['shared-memory', 'wasi-threads', 'simd']),
        v('sab', 'sab', ['shared-memory', 'threads']),
      ],
      ['sab', 'wasi'],
    ],
  ])('orders %s', (_case, given, want) => {
    expect(names(orderVariants(given).variants)).toEqual(want);
  });

  it('says when no rule orders two builds, so a publisher can see the order is only the publish order', () => {
    const { reasons } = orderVariants([v('bulk', 'single', ['bulk-memory']), v('simd', 'single', ['simd'])]);
    expect(reasons).toEqual(['bulk before simd: no rule orders them: kept as published, newest first']);
  });

  it('puts declared names first in the declared order, and reports the builds that order hides', () => {
    const { variants, reasons, hidden } = orderVariants([plain, simd, threadedSimd], ['plain', 'simd']);
    expect(names(variants)).toEqual(['plain', 'simd', 'threaded-simd']);
    expect(reasons).toEqual([
      'plain before simd: the declared order',
      'simd before threaded-simd: the declared order',
    ]);
    // plain requires nothing: every profile takes it first.
    expect(hidden).toEqual([
      { variant: 'simd', by: 'plain' },
      { variant: 'threaded-simd', by: 'plain' },
    ]);
  });

  it('ignores declared names the module does not have', () => {
    const { variants } = orderVariants([plain, simd], ['gone', 'plain']);
    expect(names(variants)).toEqual(['plain', 'simd']);
  });

  it('reports a build with the same requirements as an earlier one as hidden by it', () => {
    const { hidden } = orderVariants([v('first', 'single', ['simd']), v('second', 'single', ['simd'])]);
    expect(hidden).toEqual([{ variant: 'second', by: 'first' }]);
  });

  it('counts an optional-threads build by what it needs without threads when it reports hidden builds', () => {
    // ort-threaded runs single-threaded where threads cannot start: every profile that could run
    // the single build with shared memory and SIMD gets ort-threaded first.
    const ort = v('ort-threaded', 'sab', ['shared-memory', 'threads', 'workers', 'simd'], true);
    const single = v('ort-single', 'single', ['shared-memory', 'simd']);
    expect(orderVariants([single, ort]).hidden).toEqual([{ variant: 'ort-single', by: 'ort-threaded' }]);
    // A single build that needs no shared memory stays reachable: pages without it get it.
    const plainSimd = v('ort-plain', 'single', ['simd']);
    expect(orderVariants([plainSimd, ort]).hidden).toEqual([]);
  });

  it('puts a threaded build before its optional-threads twin, so that neither is hidden', () => {
    // Published optional first: the twin that always starts threads must still be reachable where
    // threads run, and the optional one still serves engines without them.
    const optional = v('mt-optional', 'sab', ['shared-memory', 'threads', 'workers', 'simd'], true);
    const threaded = v('mt', 'sab', ['shared-memory', 'threads', 'simd']);
    const { variants, hidden } = orderVariants([optional, threaded]);
    expect(variants.map((x) => x.name)).toEqual(['mt', 'mt-optional']);
    expect(hidden).toEqual([]);
  });

  it('orders an empty module and a one-build module without reasons', () => {
    expect(orderVariants([])).toEqual({ variants: [], reasons: [], hidden: [] });
    expect(orderVariants([plain])).toEqual({ variants: [plain], reasons: [], hidden: [] });
  });
});

describe('orderVariants with host declarations', () => {
  const browserMt = v('mt-browser', 'sab', ['shared-memory', 'threads', 'workers'], false, [
    'browser',
    'worker',
  ]);
  const anyMt = v('mt', 'sab', ['shared-memory', 'threads', 'workers']);
  const single = v('st', 'single', []);

  it('hides nothing when the threaded build is for browsers only: Node reaches the next build', () => {
    const { variants, hidden } = orderVariants([single, browserMt]);
    expect(names(variants)).toEqual(['mt-browser', 'st']);
    expect(hidden).toEqual([]);
  });

  it('puts a build declared for fewer hosts before its twin for every host, whatever the publish order, so neither is hidden', () => {
    for (const given of permutations([anyMt, browserMt, single])) {
      const { variants, reasons, hidden } = orderVariants(given);
      expect(names(variants)).toEqual(['mt-browser', 'mt', 'st']);
      expect(reasons[0]).toBe(
        'mt-browser before mt: it requires everything mt requires, on fewer hosts (browser, worker)',
      );
      expect(hidden).toEqual([]);
    }
  });

  it('reports the browser-only build hidden when a declared order puts its twin for every host first', () => {
    const { hidden } = orderVariants([anyMt, browserMt], ['mt', 'mt-browser']);
    expect(hidden).toEqual([{ variant: 'mt-browser', by: 'mt' }]);
  });

  it('reports a build hidden by two earlier ones that share its hosts between them', () => {
    const browser = v('b', 'single', [], false, ['browser']);
    const rest = v('r', 'single', [], false, ['worker', 'node']);
    const both = v('x', 'single', [], false, ['browser', 'node']);
    expect(orderVariants([browser, rest, both], ['b', 'r', 'x']).hidden).toEqual([{ variant: 'x', by: 'b' }]);
  });
});

describe('orderVariants (properties)', () => {
  // A small pool, so that requirement sets often include one another.
  const POOL: Capability[] = [
    'shared-memory',
    'threads',
    'workers',
    'wasi-threads',
    'set-threads',
    'simd',
    'bulk-memory',
  ];
  const variantsArb = fc
    .array(
      fc.record({
        model: fc.constantFrom(...THREAD_MODELS),
        requires: fc.subarray(POOL),
        optional: fc.boolean(),
        // A few hosts, so that declarations often overlap; most builds declare none.
        hosts: fc.option(fc.subarray(['browser', 'worker', 'node'] as VariantHost[], { minLength: 1 }), {
          nil: undefined,
          freq: 3,
        }),
      }),
      { maxLength: 8 },
    )
    .map((raw) => raw.map((r, i) => v(`v${i}`, r.model, r.requires, r.optional, r.hosts)));
  /** The hosts a build is served on. */
  const hostsOf = (x: Orderable): Host[] => HOSTS.filter((h) => runsOn(x, h));
  const caseArb = variantsArb.chain((vs) =>
    fc.record({
      variants: fc.constant(vs),
      declared: fc
        .shuffledSubarray([...names(vs), 'not-published'])
        .map((d) => d.filter((n, i) => d.indexOf(n) === i)),
      profiles: fc.array(fc.record({ host: fc.constantFrom(...HOSTS), caps: fc.subarray(POOL) }), {
        maxLength: 6,
      }),
    }),
  );

  it('returns a permutation of the builds, declared ones first in the declared order', () => {
    fc.assert(
      fc.property(caseArb, ({ variants, declared }) => {
        const out = orderVariants(variants, declared).variants;
        expect([...names(out)].sort()).toEqual([...names(variants)].sort());
        const pinned = declared.filter((n) => variants.some((x) => x.name === n));
        expect(names(out).slice(0, pinned.length)).toEqual(pinned);
      }),
      { numRuns: 300 },
    );
  });

  it('after the declared builds, never puts a less capable thread model before a more capable one', () => {
    fc.assert(
      fc.property(caseArb, ({ variants, declared }) => {
        const out = orderVariants(variants, declared).variants;
        const rest = out.slice(declared.filter((n) => variants.some((x) => x.name === n)).length);
        for (let i = 1; i < rest.length; i++)
          expect(MODEL_RANK[rest[i - 1]!.model]).toBeLessThanOrEqual(MODEL_RANK[rest[i]!.model]);
      }),
      { numRuns: 300 },
    );
  });

  it('after the declared builds, never puts a build behind one of its model that needs strictly less to be chosen', () => {
    fc.assert(
      fc.property(caseArb, ({ variants, declared }) => {
        const out = orderVariants(variants, declared).variants;
        const rest = out.slice(declared.filter((n) => variants.some((x) => x.name === n)).length);
        rest.forEach((later, j) => {
          for (const earlier of rest.slice(0, j))
            if (earlier.model === later.model)
              expect(
                strictSubset(effective(earlier), effective(later)),
                `${earlier.name} before ${later.name}`,
              ).toBe(false);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('gives one reason per adjacent pair, naming the pair', () => {
    fc.assert(
      fc.property(caseArb, ({ variants, declared }) => {
        const { variants: out, reasons } = orderVariants(variants, declared);
        expect(reasons).toHaveLength(Math.max(0, out.length - 1));
        reasons.forEach((r, i) => {
          expect(r.startsWith(`${out[i]!.name} before ${out[i + 1]!.name}: `)).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('reports a build as hidden exactly when, on each of its hosts, an earlier build there needs a subset of what it needs, and names one', () => {
    fc.assert(
      fc.property(caseArb, ({ variants, declared }) => {
        const { variants: out, hidden } = orderVariants(variants, declared);
        out.forEach((x, j) => {
          const earlier = out.slice(0, j).filter((u) => subset(effective(u), effective(x)));
          const covered = hostsOf(x).every((h) => earlier.some((u) => runsOn(u, h)));
          const entry = hidden.find((h) => h.variant === x.name);
          if (!covered) expect(entry).toBeUndefined();
          else expect(earlier.map((u) => u.name)).toContain(entry?.by);
        });
        expect(hidden.length).toBe(new Set(hidden.map((h) => h.variant)).size);
      }),
      { numRuns: 300 },
    );
  });

  it('never serves a hidden build to any profile', () => {
    fc.assert(
      fc.property(caseArb, ({ variants, declared, profiles }) => {
        const { variants: out, hidden } = orderVariants(variants, declared);
        const hiddenNames = new Set(hidden.map((h) => h.variant));
        const everything = HOSTS.flatMap((host) => [
          { host, caps: POOL },
          { host, caps: [] },
        ]);
        for (const profile of [...profiles, ...everything]) {
          const chosen = select(out, profile).chosen;
          if (chosen) expect(hiddenNames.has(chosen.name), chosen.name).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('serves every build that is not hidden to a profile with exactly what it needs and nothing more, on one of its hosts', () => {
    fc.assert(
      fc.property(caseArb, ({ variants, declared }) => {
        const { variants: out, hidden } = orderVariants(variants, declared);
        for (const x of out) {
          if (hidden.some((h) => h.variant === x.name)) continue;
          // For an optional-threads build, what it needs leaves out the thread capabilities.
          const got = hostsOf(x).map((host) => select(out, { host, caps: effective(x) }).chosen?.name);
          expect(got, x.name).toContain(x.name);
        }
      }),
      { numRuns: 300 },
    );
  });
});
