/**
 * The Worker end to end over R2 in workerd: the built Worker (dist/worker.js) listens on a real
 * port, `weft publish <emcc app folder> --server URL` publishes its three builds whole over the
 * upload protocol, and `loadEmscripten` on Node runs the pthreads build from that Worker; a second
 * version published the same way leaves the first pinned and whole (its bytes from the bucket).
 */
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadEmscripten } from '../src/emscripten/index.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { builtWorker } from './harness/built-worker.js';
import { describeWith } from './harness/require.js';

const root = new URL('..', import.meta.url).pathname;
const CLI = join(root, 'dist/cli.js');
const TOKEN = 'worker-publish-token-0123456789';
const run = promisify(execFile);

interface App {
  _count_primes(n: number): number;
  PThread?: { terminateAllThreads(): void };
}

describeWith('Debian Emscripten (emcc)', emccBuilds(), EMCC_INSTALL, (builds) => {
  let mf: Miniflare | undefined;
  let url = '';
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-worker-publish-'));
    mf = new Miniflare({
      ...builtWorker('weft', TOKEN),
      r2Persist: join(dir, 'r2'),
      host: '127.0.0.1',
      port: 0,
    });
    url = (await mf.ready).origin;
  }, 60_000);

  afterAll(async () => {
    await mf?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const publish = (folder: string, version: string) =>
    run(process.execPath, [CLI, 'publish', folder, '--server', url, '--version', version, '--json'], {
      env: { ...process.env, WEFT_PUBLISH_TOKEN: TOKEN },
    });

  const primes = async (version?: string) => {
    const { app, variant } = await loadEmscripten<App>('app', {
      server: url,
      ...(version ? { version } : {}),
    });
    try {
      return { variant: variant.name, primes: app._count_primes(200_000) };
    } finally {
      app.PThread?.terminateAllThreads();
    }
  };

  it('publishes the emcc app folder whole to the Worker with weft publish --server, and loadEmscripten runs it from there', async () => {
    const folder = join(dir, 'app');
    cpSync(join(builds, 'app'), folder, { recursive: true });
    const { stdout } = await publish(folder, '1.0.0');
    const summary = JSON.parse(stdout) as { version: string; variants: { name: string }[] };
    expect(summary.version).toBe('1.0.0');
    expect(summary.variants.map((v) => v.name).sort()).toEqual(['plain', 'pthreads', 'simd']);
    expect(await primes()).toEqual({ variant: 'pthreads', primes: 17_984 });

    // Version 2 changes the pthreads glue; version 1 stays pinned to its own glue.
    appendFileSync(join(folder, 'pthreads', 'app.js'), '\n// version 2\n');
    const second = JSON.parse((await publish(folder, '2.0.0')).stdout) as { version: string };
    expect(second.version).toBe('2.0.0');
    const glueOf = async (version: string) => {
      const entry = (await (await fetch(`${url}/v1/modules/app@${version}`)).json()) as {
        variants: { name: string; bundle: { base: string } }[];
      };
      const base = entry.variants.find((v) => v.name === 'pthreads')!.bundle.base;
      return (await fetch(`${base}app.js`)).text();
    };
    expect(await glueOf('1.0.0')).toBe(readFileSync(join(builds, 'app', 'pthreads', 'app.js'), 'utf8'));
    expect(await glueOf('2.0.0')).toMatch(/\/\/ version 2\n$/);
    expect(await primes('1.0.0')).toEqual({ variant: 'pthreads', primes: 17_984 });
    expect(await primes()).toEqual({ variant: 'pthreads', primes: 17_984 });
  }, 120_000);
});
