import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { THREAD_MODELS } from '../profile/caps.js';
import { POLYFILLS } from '../profile/polyfills.js';
import {
  applyDeclaration,
  DeclarationError,
  parseDeclaration,
  parseHosts,
  parseModel,
  parsePolyfills,
  parseRequiresEdit,
  parseThreads,
} from './declaration.js';

/** The DeclarationError a call throws (fails the test when it throws nothing or something else). */
function errorOf(run: () => unknown): DeclarationError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(DeclarationError);
    return err as DeclarationError;
  }
  throw new Error('expected a DeclarationError, nothing was thrown');
}

/** Characters no parser message contains: an error that shows one echoed raw input. */
const RAW = /[<>'`${}\\]|[^\x20-\x7e]/;

const sab = { model: 'sab' as const, requires: ['shared-memory' as const, 'threads' as const] };
const single = { model: 'single' as const, requires: ['simd' as const] };

describe('parseRequiresEdit', () => {
  it.each([
    ['+simd,-bulk-memory', { add: ['simd'], remove: ['bulk-memory'] }],
    ['simd', { add: ['simd'], remove: [] }],
    [' +simd , -gc ', { add: ['simd'], remove: ['gc'] }],
    ['simd,,relaxed-simd,', { add: ['simd', 'relaxed-simd'], remove: [] }],
    ['', { add: [], remove: [] }],
    [['+threads', '-simd', 'workers'], { add: ['threads', 'workers'], remove: ['simd'] }],
  ])('reads the capability edits %j (a bare name adds)', (input, want) => {
    expect(parseRequiresEdit(input)).toEqual(want);
  });

  it('refuses an unknown capability, naming the field and the plain-word name', () => {
    const err = errorOf(() => parseRequiresEdit('+simd,+simd2'));
    expect(err.field).toBe('requires');
    expect(err.message).toBe('requires: simd2 is not a known capability');
  });

  it('refuses a capability both added and removed: the publisher meant two different builds', () => {
    const err = errorOf(() => parseRequiresEdit('+simd,-simd'));
    expect(err.field).toBe('requires');
    expect(err.message).toBe('requires: simd is both added and removed');
  });

  it.each([[42], [{ add: ['simd'] }], [['simd', 3]], [null], [true]])(
    'refuses %j: requires is a comma-separated string or an array of strings',
    (input) => {
      const err = errorOf(() => parseRequiresEdit(input));
      expect(err.field).toBe('requires');
      expect(err.message).toMatch(/comma-separated string or an array of strings/);
    },
  );

  it('names the field it was given, as weft.json and flags do', () => {
    expect(errorOf(() => parseRequiresEdit('+nope', 'variants[2].requires')).field).toBe(
      'variants[2].requires',
    );
  });

  it.each(['<script>alert(1)</script>', 'SIMD', '++simd', 'sim d', 'simd\u202e', `${'a'.repeat(41)}`])(
    'never echoes the odd name %j back',
    (odd) => {
      const err = errorOf(() => parseRequiresEdit(`+${odd}`));
      expect(err.message).toBe('requires: (a name) is not a known capability');
    },
  );
});

describe('parseModel', () => {
  it.each(THREAD_MODELS.map((m) => [m]))('accepts the thread model %s', (model) => {
    expect(parseModel(model)).toBe(model);
  });

  it.each([['pthreads'], ['SAB'], [''], [3], [undefined], [['sab']]])(
    'refuses %j, naming the field and the models it may be',
    (input) => {
      const err = errorOf(() => parseModel(input, 'variants[0].model'));
      expect(err.field).toBe('variants[0].model');
      expect(err.message).toBe(
        'variants[0].model: must be one of shared-everything, sab, wasi-threads, single',
      );
    },
  );
});

describe('parseThreads', () => {
  it('accepts "optional", the only thread declaration', () => {
    expect(parseThreads('optional')).toBe('optional');
  });

  it.each([['required'], ['Optional'], [true], [''], ['optional ']])(
    'refuses %j, naming the field',
    (input) => {
      const err = errorOf(() => parseThreads(input));
      expect(err.field).toBe('threads');
      expect(err.message).toBe('threads: the only declaration is "optional"');
    },
  );
});

describe('parsePolyfills', () => {
  it('reads every known polyfill, as a list or an array', () => {
    expect(parsePolyfills(POLYFILLS.join(','))).toEqual([...POLYFILLS]);
    expect(parsePolyfills(['wait-queue'])).toEqual(['wait-queue']);
    expect(parsePolyfills('')).toEqual([]);
  });

  it('refuses an unknown polyfill, naming the field, and shows only a plain-word name', () => {
    expect(errorOf(() => parsePolyfills('wait-queue,atomics-wait')).message).toBe(
      'polyfills: atomics-wait is not a known polyfill',
    );
    expect(errorOf(() => parsePolyfills('<img src=x>')).message).toBe(
      'polyfills: (a name) is not a known polyfill',
    );
    expect(errorOf(() => parsePolyfills(7, 'variants[1].polyfills')).field).toBe('variants[1].polyfills');
  });
});

describe('parseHosts', () => {
  it.each([
    ['browser,worker', ['browser', 'worker']],
    [' node ', ['node']],
    ['worker,browser,worker', ['browser', 'worker']],
    [
      ['native', 'deno', 'bun', 'workerd'],
      ['deno', 'bun', 'workerd', 'native'],
    ],
  ])('reads the hosts %j, deduplicated, in the contract order', (input, want) => {
    expect(parseHosts(input)).toEqual(want);
  });

  it.each([
    [
      'browser,nodejs',
      'hosts: nodejs is not a host (one of browser, worker, node, deno, bun, workerd, native)',
    ],
    ['unknown', 'hosts: unknown is not a host (one of browser, worker, node, deno, bun, workerd, native)'],
    ['Browser', 'hosts: (a name) is not a host (one of browser, worker, node, deno, bun, workerd, native)'],
    ['', 'hosts: must name at least one host'],
    [[], 'hosts: must name at least one host'],
    [3, 'hosts: must be a comma-separated string or an array of strings'],
  ])('refuses %j, naming the field (and the name, when it is a plain word)', (input, message) => {
    const err = errorOf(() => parseHosts(input));
    expect(err.field).toBe('hosts');
    expect(err.message).toBe(message);
  });
});

describe('parseDeclaration', () => {
  it('reads every declaration of a weft.json entry or gathered flags', () => {
    expect(
      parseDeclaration({
        requires: '+simd',
        model: 'sab',
        threads: 'optional',
        polyfills: ['wait-queue'],
        hosts: ['worker', 'browser'],
      }),
    ).toEqual({
      requires: { add: ['simd'], remove: [] },
      model: 'sab',
      threads: 'optional',
      polyfills: ['wait-queue'],
      hosts: ['browser', 'worker'],
    });
    expect(parseDeclaration({})).toEqual({});
  });

  it.each([
    [{ requires: '+nope' }, 'variants[3].requires'],
    [{ model: 'pthreads' }, 'variants[3].model'],
    [{ threads: 'yes' }, 'variants[3].threads'],
    [{ polyfills: 'nope' }, 'variants[3].polyfills'],
    [{ hosts: 'nodejs' }, 'variants[3].hosts'],
  ])('names the variant and field of a bad declaration %j', (raw, field) => {
    const err = errorOf(() => parseDeclaration(raw, 'variants[3]'));
    expect(err.field).toBe(field);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
  });

  it('names bare fields when there is no variant to name (PUT, flags)', () => {
    expect(errorOf(() => parseDeclaration({ model: 'x' })).field).toBe('model');
  });
});

describe('applyDeclaration', () => {
  it('adds and removes capabilities, in registry order, without touching what inspection found', () => {
    const found = { model: 'single' as const, requires: ['bulk-memory' as const, 'simd' as const] };
    const out = applyDeclaration(found, {
      requires: { add: ['simd', 'relaxed-simd'], remove: ['bulk-memory'] },
    });
    expect(out).toEqual({ model: 'single', requires: ['simd', 'relaxed-simd'] });
    expect(found.requires).toEqual(['bulk-memory', 'simd']);
  });

  it('lets a declared thread model override the one inspection found', () => {
    expect(applyDeclaration(sab, { model: 'wasi-threads' }).model).toBe('wasi-threads');
  });

  it('marks a threaded build as running on one thread where threads cannot start', () => {
    expect(applyDeclaration(sab, { threads: 'optional' })).toEqual({ ...sab, threads: 'optional' });
  });

  it('carries the declared hosts through, and leaves a build without them for every host', () => {
    expect(applyDeclaration(sab, { hosts: ['browser', 'worker'] })).toEqual({
      ...sab,
      hosts: ['browser', 'worker'],
    });
    expect(applyDeclaration(sab, {})).not.toHaveProperty('hosts');
  });

  it('refuses to remove a capability the build does not require: it names another build', () => {
    const err = errorOf(() =>
      applyDeclaration(sab, { requires: { add: [], remove: ['simd'] } }, 'variants[1]'),
    );
    expect(err.field).toBe('variants[1].requires');
    expect(err.message).toBe('variants[1].requires: -simd: the build does not require simd');
  });

  it('refuses optional threads on a single build', () => {
    const err = errorOf(() => applyDeclaration(single, { threads: 'optional' }));
    expect(err.field).toBe('threads');
    expect(err.message).toMatch(/the model is single/);
  });

  it('refuses optional threads when the declared model makes the build single', () => {
    const err = errorOf(() => applyDeclaration(sab, { model: 'single', threads: 'optional' }, 'variants[0]'));
    expect(err.field).toBe('variants[0].threads');
  });

  it('refuses optional threads on a threaded build that requires no thread capability', () => {
    const sharedOnly = { model: 'sab' as const, requires: ['shared-memory' as const] };
    const err = errorOf(() => applyDeclaration(sharedOnly, { threads: 'optional' }));
    expect(err.field).toBe('threads');
    expect(err.message).toBe('threads: optional threads need a build that requires threads');
    // Removing the last thread capability in the same declaration is the same contradiction.
    expect(
      errorOf(() =>
        applyDeclaration(sab, { requires: { add: [], remove: ['threads'] }, threads: 'optional' }),
      ).field,
    ).toBe('threads');
  });
});

describe('declaration errors (property)', () => {
  it('name their field first and never echo input that is not a plain word', () => {
    const odd = fc
      .tuple(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('<', '>', "'", '`', '$', '{', '}', '\\', 'é', '\u0007', '\u0000'),
      )
      .map(([s, c]) => `${s}${c}${s}`);
    const parsers: [string, (value: unknown, field?: string) => unknown][] = [
      ['requires', parseRequiresEdit],
      ['model', parseModel],
      ['threads', parseThreads],
      ['polyfills', parsePolyfills],
      ['hosts', parseHosts],
    ];
    fc.assert(
      fc.property(odd, fc.constantFrom(...parsers), fc.boolean(), (raw, [field, parse], asArray) => {
        const err = errorOf(() => parse(asArray ? [raw] : raw));
        expect(err.field).toBe(field);
        expect(err.message.startsWith(`${field}: `)).toBe(true);
        expect(err.message).not.toMatch(RAW);
      }),
      { numRuns: 400 },
    );
  });
});
