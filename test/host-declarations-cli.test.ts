/**
 * Host declarations end to end (issue 23): `weft publish --hosts browser,worker` (dist/cli.js, into a
 * store and to a server), then `load()` on Node 20 gets the other build, while a browser profile
 * gets the declared one. Needs `npm run build` (the CLI is dist/cli.js).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { bundleScript } from './harness/bundle.js';
import { runCli } from './harness/cli.js';
import { runScript } from './harness/engines.js';

const DEMO = new URL('../fixtures/demo/', import.meta.url).pathname;
const TOKEN = 'hosts-cli-token-0123456789';
const ALL_HOSTS = 'browser, worker, node, deno, bun, workerd, native';
const tempDir = () => mkdtempSync(join(tmpdir(), 'weft-hosts-cli-'));

// A loader as a user writes it; `browser` loads with the profile of a browser that has this Node's capabilities.
const LOADER = `
import { load } from './src/sdk/index.ts';
import { probe } from './src/detect/index.ts';
const [server, mode] = process.argv.slice(2);
const manifest = mode === 'cached' ? await (await fetch(server + '/v1/modules/hosts')).json() : undefined;
const profile = mode === 'browser' ? { ...(await probe()), host: 'browser' } : undefined;
const result = await load('hosts', { server, instantiate: false, manifest, profile });
const glue = await import(new URL('./fixtures/demo/glue/' + result.variant.name + '.js', 'file://' + process.cwd() + '/').href);
const primes = await glue.run({ module: result.module, threads: 3 });
const { variant, rejected, threads, why } = result;
console.log(JSON.stringify({ variant: variant.name, host: result.profile.host, threads, rejected, why, primes }));`;

describe('weft publish --hosts browser,worker, then load() on Node 20', () => {
  let store: string;
  let server: RunningServer;
  let loader: string;
  let published: { code: number; out: string; err: string }[];

  beforeAll(async () => {
    store = tempDir();
    published = [
      await runCli([
        'publish',
        `${DEMO}sab.wasm`,
        '--module',
        'hosts',
        '--store',
        store,
        '--hosts',
        'browser,worker',
      ]),
      await runCli(['publish', `${DEMO}single.wasm`, '--module', 'hosts', '--store', store]),
    ];
    server = await startServer({ port: 0, storeDir: store });
    loader = await bundleScript(LOADER);
  });
  afterAll(() => server?.close());

  it('publishes the threaded build for browser and worker only, and says so', () => {
    const [sab, single] = published;
    // stderr holds the publish's progress lines, and no warning or error.
    expect(sab).toMatchObject({ code: 0, err: expect.not.stringMatching(/warning|error/i) });
    expect(sab!.out).toMatch(
      /^hosts\/sab: sab \(browser, worker only\) requires \[shared-memory threads\] sha256-/m,
    );
    expect(single).toMatchObject({ code: 0, err: expect.not.stringMatching(/warning|error/i) });
    expect(single!.out).toMatch(/^order: sab > single$/m);
    const record = JSON.parse(readFileSync(join(store, 'modules', 'hosts.json'), 'utf8')) as {
      variants: { name: string; hosts?: string[] }[];
    };
    expect(record.variants.map((v) => [v.name, v.hosts])).toEqual([
      ['sab', ['browser', 'worker']],
      ['single', undefined],
    ]);
  });

  it('load() on Node 20 (threads and all) gets the single build by the negotiated /wasm, and says why not sab', async () => {
    const out = await runScript('node20', loader, { args: [server.url] });
    expect(out).toEqual({
      variant: 'single',
      host: 'node',
      threads: false,
      rejected: [{ variant: 'sab', missing: [], hosts: ['browser', 'worker'] }],
      why: ['sab is declared for browser, worker only, not for this host (node)'],
      primes: 17984,
    });
  });

  it('load() on Node 20 selecting locally from the cached manifest entry passes sab over too', async () => {
    const out = await runScript('node20', loader, { args: [server.url, 'cached'] });
    expect(out).toMatchObject({
      variant: 'single',
      rejected: [{ variant: 'sab', hosts: ['browser', 'worker'] }],
    });
  });

  it('load() with a browser profile of the same capabilities gets the sab build, threads granted', async () => {
    const out = await runScript('node20', loader, { args: [server.url, 'browser'] });
    expect(out).toMatchObject({
      variant: 'sab',
      host: 'browser',
      threads: true,
      rejected: [],
      why: [],
      primes: 17984,
    });
  });
});

describe('weft publish --hosts to a server, and bad hosts', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, storeDir: tempDir(), publishToken: TOKEN });
  });
  afterAll(() => server?.close());

  it('sends the declaration with the publish (--server): the server records the hosts', async () => {
    const { code, out } = await runCli(
      ['publish', `${DEMO}sab.wasm`, '--module', 'remote', '--server', server.url, '--hosts', 'browser'],
      { WEFT_PUBLISH_TOKEN: TOKEN },
    );
    expect(code).toBe(0);
    expect(out).toMatch(/^remote\/sab: sab \(browser only\) requires/m);
    const entry = (await (await fetch(`${server.url}/v1/modules/remote`)).json()) as {
      variants: { name: string; hosts?: string[] }[];
    };
    expect(entry.variants).toMatchObject([{ name: 'sab', hosts: ['browser'] }]);
  });

  it('refuses an unknown host with exit code 2, naming it, and publishes nothing', async () => {
    const store = tempDir();
    const { code, out, err } = await runCli([
      'publish',
      `${DEMO}sab.wasm`,
      '--module',
      'hosts',
      '--store',
      store,
      '--hosts',
      'browser,nodejs',
    ]);
    expect(code).toBe(2);
    expect(err).toBe(`weft publish: hosts: nodejs is not a host (one of ${ALL_HOSTS})\n`);
    expect(out).toBe('');
    expect(existsSync(join(store, 'modules'))).toBe(false);
  });

  it('lists --hosts in the help and in the publish usage', async () => {
    expect((await runCli(['help'])).out).toContain('[--hosts browser,worker]');
    const usage = await runCli(['publish']);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain(`[--hosts h,...]   served on these hosts only: ${ALL_HOSTS}`);
  });
});
