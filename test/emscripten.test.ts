/**
 * Real Emscripten output, end to end: fixtures/c/primes.c built by Debian's emcc as pthreads, SIMD
 * and plain builds (scripts/emcc-fixtures.mjs), published with one `weft publish <dir>`, then
 * chosen for real engines: an isolated Chromium page gets the pthreads build, a page that is not
 * isolated the SIMD build, an engine without SIMD the plain build, Node 20 the pthreads build,
 * which really runs its work on 4 pthreads there.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../src/detect/index.js';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const weft = (...args: string[]) => run(process.execPath, [CLI, ...args]);

interface Resolved {
  variant: string;
  model: string;
  threads: boolean;
  requires: string[];
}

describeWith('Debian Emscripten (emcc)', emccBuilds(), EMCC_INSTALL, (builds) => {
  const app = join(builds, 'app');

  describe('weft inspect', () => {
    it.each([
      ['app/pthreads', 'sab', 'high', ['shared-memory', 'threads', 'workers']],
      ['app/simd', 'single', 'high', ['simd']],
      ['app/plain', 'single', 'high', []],
      // -O3 renames every import to a.<letters>: the glue beside the wasm tells.
      ['release/pthreads', 'sab', 'medium', ['shared-memory', 'threads', 'workers']],
      ['release/plain', 'single', 'medium', []],
      ['es6/pthreads', 'sab', 'high', ['shared-memory', 'threads', 'workers']],
    ])('names Emscripten and the thread model of the %s build', async (dir, model, confidence, needs) => {
      const { stdout } = await weft('inspect', join(builds, dir, 'app.wasm'), '--json');
      const report = JSON.parse(stdout);
      expect(report.model).toBe(model);
      expect(report.toolchain).toMatchObject({ toolchain: 'emscripten', confidence });
      expect(
        report.requires.filter((c: string) => ['shared-memory', 'threads', 'workers', 'simd'].includes(c)),
      ).toEqual(needs);
      const text = (await weft('inspect', join(builds, dir, 'app.wasm'))).stdout;
      expect(text).toMatch(/^toolchain: +emscripten/m);
      expect(text).toMatch(/evidence: /);
    });
  });

  it('publishes to a server the whole build, read with its glue: the -O3 pthreads build needs workers there too', async () => {
    const server = await startServer({
      store: fsStore({ dir: mkdtempSync(join(tmpdir(), 'weft-emcc-remote-')) }),
      port: 0,
      publishToken: 'remote-token-0123',
    });
    try {
      const folder = join(mkdtempSync(join(tmpdir(), 'weft-emcc-')), 'release');
      cpSync(join(builds, 'release'), folder, { recursive: true });
      const { stdout, stderr } = await run(
        process.execPath,
        [CLI, 'publish', folder, '--server', server.url],
        {
          env: { ...process.env, WEFT_PUBLISH_TOKEN: 'remote-token-0123' },
        },
      );
      expect(stdout).toMatch(
        /^release\/pthreads: sab requires \[shared-memory threads workers bulk-memory\]/m,
      );
      // The glue and the worker script go up with the wasm (the upload protocol), and the CLI says so.
      expect(stderr).toMatch(/upload \d+\/\d+ pthreads\/app\.worker\.js/);
      const res = await fetch(
        `${server.url}/v1/modules/release/resolve?caps=shared-memory,threads,workers,bulk-memory`,
      );
      const answer = (await res.json()) as { requires: string[]; bundle: { files: { path: string }[] } };
      expect(answer.requires).toContain('workers');
      expect(answer.bundle.files.map((f) => f.path).sort()).toEqual(['app.js', 'app.wasm', 'app.worker.js']);
    } finally {
      await server.close();
    }
  });

  describe('one weft publish of the output folders', () => {
    let world: Published;
    beforeAll(async () => {
      world = await publishBuilds(builds);
    });
    afterAll(() => world?.server.close());

    it('groups the folders, orders pthreads > simd > plain and says why', async () => {
      expect(world.printed).toMatch(
        /^ {2}pthreads: pthreads\/app\.wasm with 2 more file\(s\): app\.js, app\.worker\.js \(one build per subfolder\)$/m,
      );
      expect(world.printed).toMatch(/^order: pthreads > simd > plain$/m);
      expect(world.printed).toMatch(
        /simd before plain: it requires everything plain requires and more \(simd\)/,
      );
      expect(world.printed).not.toMatch(/warning/);
      const record = JSON.parse(readFileSync(join(world.store, 'modules', 'app.json'), 'utf8'));
      expect(record.variants.map((v: { name: string }) => v.name)).toEqual(['pthreads', 'simd', 'plain']);
    });

    it('gives Node 20 the pthreads build, which counts the primes on 4 pthreads off the main thread', async () => {
      const profile = await probe();
      const chosen = await resolve(world.server, 'app', profile.caps, 'node');
      expect(chosen).toMatchObject({ variant: 'pthreads', model: 'sab', threads: true });
      // Run the build weft chose, with its own glue (3.1.6 glue under Node: hand it the bytes).
      const dir = join(app, chosen.variant);
      const createApp = createRequire(import.meta.url)(join(dir, 'app.js'));
      const m = await createApp({ wasmBinary: readFileSync(join(dir, 'app.wasm')) });
      try {
        expect(m._build_kind()).toBe(1);
        expect(m._count_primes(200_000)).toBe(17_984);
        expect(m._work_off_main()).toBe(200_000);
      } finally {
        m.PThread.terminateAllThreads();
      }
    });
  });
});

describeWith(
  'Debian Emscripten and Chromium',
  bothOrNull(),
  `${EMCC_INSTALL}; ${CHROMIUM_INSTALL}`,
  ([builds]) => {
    let world: Published;
    let browser: Browser;
    let pages: Awaited<ReturnType<typeof startPageServer>>;
    const profiles: Record<string, { caps: string[] }> = {};
    beforeAll(async () => {
      world = await publishBuilds(builds);
      browser = await launchChromium();
      // The page is on another origin than weft; it probes with weft's own /v1/probe.js.
      pages = await startPageServer({
        '/probe.html': {
          type: 'text/html',
          body: `<!doctype html><script type="module">
          window.profile = import('${world.server.url}/v1/probe.js').then((m) => m.probe());
        </script>`,
        },
      });
      for (const kind of ['isolated', 'plain']) {
        const page = await browser.newPage();
        await page.goto(`${pages.origin}/${kind}/probe.html`);
        profiles[kind] = await page.evaluate(
          () => (window as unknown as { profile: Promise<{ caps: string[] }> }).profile,
        );
        await page.close();
      }
    });
    afterAll(async () => {
      await browser?.close();
      await pages?.close();
      await world?.server.close();
    });
    const at = (module: string, caps: readonly string[]) => resolve(world.server, module, caps);

    it('gives an isolated page the pthreads build', async () => {
      expect(profiles.isolated!.caps).toContain('threads');
      expect(await at('app', profiles.isolated!.caps)).toMatchObject({ variant: 'pthreads', threads: true });
    });

    it('gives a page that is not isolated the SIMD build', async () => {
      expect(profiles.plain!.caps).not.toContain('threads');
      expect(await at('app', profiles.plain!.caps)).toMatchObject({ variant: 'simd', threads: false });
    });

    it('gives an engine without SIMD the plain build', async () => {
      const noSimd = profiles.plain!.caps.filter((c) => c !== 'simd' && c !== 'relaxed-simd');
      expect(await at('app', noSimd)).toMatchObject({ variant: 'plain', threads: false });
    });

    it('serves an optional-threads build to a page that is not isolated, saying it may not start threads', async () => {
      expect(await at('app-opt', profiles.plain!.caps)).toMatchObject({
        variant: 'pthreads',
        model: 'sab',
        threads: false,
        optionalThreads: true,
      });
      expect(await at('app-opt', profiles.isolated!.caps)).toMatchObject({
        variant: 'pthreads',
        threads: true,
      });
    });
  },
);

interface Published {
  store: string;
  server: RunningServer;
  /** What `weft publish` printed for the app folder. */
  printed: string;
}

/**
 * A fresh store with the app's three builds published with one `weft publish <dir>`, laid out as a
 * user lays them out (one emcc output folder per build, named by its flavour), and `app-opt`: the
 * pthreads build again, declared to run on one thread where threads cannot start. Served.
 */
async function publishBuilds(builds: string): Promise<Published> {
  const store = mkdtempSync(join(tmpdir(), 'weft-emcc-store-'));
  const folder = join(mkdtempSync(join(tmpdir(), 'weft-emcc-')), 'app');
  cpSync(join(builds, 'app'), folder, { recursive: true });
  const printed = (await weft('publish', folder, '--store', store, '--version', '1.0.0')).stdout;
  const optional = join(mkdtempSync(join(tmpdir(), 'weft-emcc-')), 'app-opt');
  cpSync(join(builds, 'app', 'pthreads'), join(optional, 'pthreads'), { recursive: true });
  await weft('publish', optional, '--store', store, '--threads', 'optional');
  return { store, printed, server: await startServer({ store: fsStore({ dir: store }), port: 0 }) };
}

async function resolve(server: RunningServer, module: string, caps: readonly string[], host = 'browser') {
  const res = await fetch(`${server.url}/v1/modules/${module}/resolve?host=${host}&caps=${caps.join(',')}`);
  return (await res.json()) as Resolved;
}

function bothOrNull(): [string, string] | null {
  const builds = emccBuilds();
  const chromium = chromiumPath();
  return builds && chromium ? [builds, chromium] : null;
}
