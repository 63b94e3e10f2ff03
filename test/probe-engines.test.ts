import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderProbeBytes } from '../src/detect/probes/render.js';
import { PROBE_SOURCES } from '../src/detect/probes/sources.js';
import { type EngineConfig, table, validatedParts } from './fixtures/threading-table.js';
import { bundleScript } from './harness/bundle.js';
import { type EngineName, engine, runScript } from './harness/engines.js';
import { describeWith } from './harness/require.js';

const THREADS = ['shared-memory', 'threads', 'workers', 'nested-workers', 'wasi-threads'];
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('probe modules', () => {
  it.each(Object.entries(table.modules))(
    '%s is byte for byte the module threading-models.md lists',
    (cap, mod) => {
      const src = PROBE_SOURCES[cap as keyof typeof PROBE_SOURCES] as {
        probe: Uint8Array;
        control?: Uint8Array;
      };
      expect(hex(src.probe)).toBe(mod.probe);
      expect(src.control && hex(src.control)).toBe((mod as { control?: string }).control);
    },
  );

  it('src/detect/probe-bytes.ts is what `npm run gen:probes` writes from the sources', () => {
    const current = readFileSync(new URL('../src/detect/probe-bytes.ts', import.meta.url), 'utf8');
    expect(current).toBe(renderProbeBytes());
  });
});

/** What the table implies a correct probe reports: a part is present when it validates and its control does not. */
function expected(config: EngineConfig) {
  const row = table.engines[config];
  const set = validatedParts(config);
  if (row.conveys) set.push('set-threads');
  const threads = row.rejectsSharedMemory
    ? ['workers']
    : ['shared-memory', 'threads', 'workers', 'wasi-threads'];
  return { threads, set: set.sort() };
}

const RUNNER = `
import { probe } from './src/detect/index.ts';
const profile = await probe({ deep: process.argv.includes('--deep') });
console.log(JSON.stringify(profile));`;

const configs: [EngineName, string[], EngineConfig][] = [
  ['node20', [], 'node20'],
  ['node22', [], 'node22'],
  ['node22', ['--experimental-wasm-shared'], 'node22+flag'],
  ['node24', [], 'node24'],
  ['node24', ['--experimental-wasm-shared'], 'node24+flag'],
  ['node26', [], 'node26'],
  ['node26', ['--experimental-wasm-shared'], 'node26+flag'],
];

let runner: string;
beforeAll(async () => {
  runner = await bundleScript(RUNNER);
});

for (const [name, flags, config] of configs) {
  const e = engine(name);
  describeWith(`${name} ${flags.join(' ')}`.trim(), e.bin, e.install, () => {
    it(`probes exactly the threading and shared-everything capabilities the table implies (${config})`, async () => {
      const profile = (await runScript(name, runner, { flags })) as { host: string; caps: string[] };
      const want = expected(config);
      expect(profile.host).toBe('node');
      expect({
        threads: profile.caps.filter((c) => THREADS.includes(c)),
        set: profile.caps.filter((c) => c.startsWith('set-')).sort(),
      }).toEqual(want);
      // Nothing can probe native thread-local globals or the shared JS API on any engine today.
      expect(profile.caps).not.toContain('set-thread-local');
      expect(profile.caps).not.toContain('set-js-api');
    });
  });
}

describe('deep checks on Node 20', () => {
  it('adds nested-workers and keeps threads after a real Atomics.notify round trip through a worker', async () => {
    const profile = (await runScript('node20', runner, { args: ['--deep'] })) as { caps: string[] };
    expect(profile.caps.filter((c) => THREADS.includes(c))).toEqual([
      'shared-memory',
      'threads',
      'workers',
      'nested-workers',
      'wasi-threads',
    ]);
  });
});
