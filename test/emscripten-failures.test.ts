/**
 * A load never hangs: the Debian emcc pthreads build published with its worker script replaced
 * (before publishing, so integrity accepts it) by one that throws ends with a LoadError naming the
 * variant and the stage 'workers', well within the deadline, in Chromium, Firefox and on Node 20;
 * so does a glue whose start-up throws (a `preRun` of the caller's), at stage 'ready'.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadEmscripten } from '../src/emscripten/index.js';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { LoadError } from '../src/sdk/load.js';
import { describeBrowsers, type TestBrowser } from './harness/browsers.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const TIMEOUT = 10_000;

/** `app`: the emcc app's pthreads build, its app.worker.js replaced by one that throws; `plain`: its plain build. */
async function serveBroken(builds: string): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-em-broken-'));
  cpSync(join(builds, 'app', 'pthreads'), join(dir, 'app'), { recursive: true });
  writeFileSync(join(dir, 'app', 'app.worker.js'), 'throw new Error("this worker is broken");\n');
  await run(process.execPath, [
    CLI,
    'publish',
    join(dir, 'app'),
    '--store',
    join(dir, 'store'),
    '--module',
    'app',
  ]);
  // A sound single-threaded build, for a start-up that fails inside the glue.
  cpSync(join(builds, 'app', 'plain'), join(dir, 'plain'), { recursive: true });
  await run(process.execPath, [
    CLI,
    'publish',
    join(dir, 'plain'),
    '--store',
    join(dir, 'store'),
    '--module',
    'plain',
  ]);
  return startServer({ store: fsStore({ dir: join(dir, 'store') }), port: 0 });
}

describeWith('Debian Emscripten (emcc)', emccBuilds(), EMCC_INSTALL, (builds) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serveBroken(builds);
  });
  afterAll(() => server?.close());

  it('on Node 20 ends a load whose worker throws with a LoadError at stage workers, before the deadline', async () => {
    const t0 = Date.now();
    const err = await loadEmscripten('app', { server: server.url, timeout: TIMEOUT }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LoadError);
    expect(err).toMatchObject({ module: 'app', variant: 'app', stage: 'workers' });
    expect((err as Error).message).toMatch(/worker app\.worker\.js failed: .*this worker is broken/);
    expect(Date.now() - t0).toBeLessThan(TIMEOUT);
  });

  it('on Node 20 ends a load whose glue throws in its start-up (preRun) with a LoadError at stage ready', async () => {
    const t0 = Date.now();
    const preRun = [
      () => {
        throw new Error('boom in preRun');
      },
    ];
    const err = await loadEmscripten('plain', {
      server: server.url,
      timeout: TIMEOUT,
      moduleArgs: { preRun },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'LoadError', module: 'plain', variant: 'app', stage: 'ready' });
    expect((err as Error).message).toMatch(/boom in preRun/);
    expect(Date.now() - t0).toBeLessThan(TIMEOUT);
  });

  describeBrowsers('an isolated page of another origin', (engine) => {
    let pages: PageServer;
    let browser: TestBrowser;
    beforeAll(async () => {
      pages = await startPageServer({
        '/broken.html': {
          type: 'text/html',
          body: `<!doctype html><meta charset="utf-8"><script type="module">
            window.outcome = (async () => {
              const { loadEmscripten } = await import('${server.url}/v1/emscripten.js');
              const t0 = performance.now();
              const module = new URLSearchParams(location.search).get('module');
              const preRun = [() => { throw new Error('boom in preRun'); }];
              try {
                await loadEmscripten(module, { server: '${server.url}', timeout: ${TIMEOUT}, moduleArgs: module === 'plain' ? { preRun } : {} });
                return { loaded: true };
              } catch (e) {
                return { name: e.name, variant: e.variant, stage: e.stage, message: e.message, ms: performance.now() - t0 };
              }
            })();
          </script>`,
        },
      });
      browser = await engine.launch();
    });
    afterAll(async () => {
      await browser?.close();
      await pages?.close();
    });

    it('ends the load with a LoadError at stage workers, before the deadline', async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`${pages.origin}/isolated/broken.html?module=app`);
        const got = await page.evaluate(
          () => (window as unknown as { outcome: Promise<{ ms: number; message: string }> }).outcome,
        );
        expect(got).toMatchObject({ name: 'LoadError', variant: 'app', stage: 'workers' });
        expect(got.message).toMatch(/worker app\.worker\.js failed: .*this worker is broken/);
        expect(got.ms).toBeLessThan(TIMEOUT);
      } finally {
        await page.close();
      }
    });

    it('ends a load whose glue throws in its start-up (preRun) with a LoadError at stage ready', async () => {
      const page = await browser.newPage();
      try {
        await page.goto(`${pages.origin}/isolated/broken.html?module=plain`);
        const got = await page.evaluate(
          () => (window as unknown as { outcome: Promise<{ ms: number; message: string }> }).outcome,
        );
        expect(got).toMatchObject({ name: 'LoadError', variant: 'app', stage: 'ready' });
        expect(got.message).toMatch(/boom in preRun/);
        expect(got.ms).toBeLessThan(TIMEOUT);
      } finally {
        await page.close();
      }
    });
  });
});
