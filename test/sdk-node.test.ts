import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { bundleScript } from './harness/bundle.js';
import { engine, runScript } from './harness/engines.js';
import { describeWith } from './harness/require.js';

// A loader as a user writes it: load() picks, fetches, verifies and compiles; the variant's glue runs it.
const LOADER = `
import { load } from './src/sdk/index.ts';
const [server, manifestMode] = process.argv.slice(2);
const requests = [];
const counted = (url, init) => { requests.push(String(url)); return fetch(url, init); };
const manifest = manifestMode === 'cached' ? await (await fetch(server + '/v1/modules/demo')).json() : undefined;
const result = await load('demo', { server, instantiate: false, fetch: counted, manifest });
const glue = await import(new URL('./fixtures/demo/glue/' + result.variant.name + '.js', 'file://' + process.cwd() + '/').href);
const primes = await glue.run({ module: result.module, threads: 3 });
console.log(JSON.stringify({ variant: result.variant.name, primes, why: result.why, requests, polyfills: result.polyfills }));`;

let server: RunningServer;
let loader: string;
beforeAll(async () => {
  server = await startServer({ port: 0, storeDir: mkdtempSync(join(tmpdir(), 'weft-sdk-')) });
  loader = await bundleScript(LOADER);
});
afterAll(() => server.close());

// Node 20 (this machine's) and Node 24 LTS (what most users run since Node 20's end of life).
for (const name of ['node20', 'node24'] as const) {
  const { bin, install } = engine(name);
  describeWith(`load() on ${name} against the real server`, bin, install, () => {
    it('gets the first variant the manifest order allows (sab) in one negotiated round trip, and counts 17984 primes on 3 workers', async () => {
      const out = (await runScript(name, loader, { args: [server.url] })) as Record<string, unknown>;
      expect(out).toMatchObject({ variant: 'sab', primes: 17984, why: [] });
      expect(
        (out.requests as string[]).filter((u) => u.includes('/wasm') || u.includes('/blobs/')),
      ).toHaveLength(1);
    });

    it('selects locally from a cached manifest entry: exactly one request, for the immutable blob', async () => {
      const out = (await runScript(name, loader, { args: [server.url, 'cached'] })) as {
        requests: string[];
        primes: number;
      };
      expect(out.primes).toBe(17984);
      expect(out.requests).toEqual([expect.stringMatching(/\/v1\/blobs\/sha256-[0-9a-f]{64}\.wasm$/)]);
    });
  });
}

const node26 = engine('node26');
describeWith('Node 26', node26.bin, node26.install, () => {
  it('with --experimental-wasm-shared gets the set variant, installs its polyfill, and counts 17984 primes', async () => {
    const out = (await runScript('node26', loader, {
      args: [server.url],
      flags: ['--experimental-wasm-shared'],
    })) as Record<string, unknown>;
    expect(out).toMatchObject({ variant: 'set', primes: 17984 });
    expect(out.polyfills).toMatchObject({ installed: expect.arrayContaining(['thread-local-global']) });
  });
});
