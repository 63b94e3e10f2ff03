/**
 * `weft/emscripten` on onnxruntime-web 1.30's threaded build, published whole (`weft publish` of a
 * folder with its .mjs and .wasm): Emscripten >= 3.1.58 ES6 glue that is its own pthread worker
 * (`new Worker(new URL(import.meta.url), {name: 'em-pthread'})`). weft is on another origin than
 * the page; the glue runs from a same-origin blob URL, so its workers are same-origin too. On an
 * isolated page in Chromium and Firefox it starts its pthread pool and ORT initialises on 4
 * threads; on a page that is not isolated it runs on one thread, and nothing hangs; on a page that
 * forbids workers (CSP) the threaded start fails at stage 'workers' and weft starts it again on
 * one thread (the build was published with optional threads), saying so in `why`.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadEmscripten } from '../src/emscripten/index.js';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { describeBrowsers, pageOutcome, type TestBrowser } from './harness/browsers.js';
import { REAL_BUILDS_INSTALL, realBuild } from './harness/builds.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const MJS = realBuild('onnxruntime-web@1.30.0', 'dist/ort-wasm-simd-threaded.mjs');

/** A store with ORT's threaded build published as one bundle (threads optional: it runs on one too). */
async function serveOrt(mjs: string): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-ort-'));
  mkdirSync(join(dir, 'ort'));
  for (const f of ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'])
    cpSync(join(dirname(mjs), f), join(dir, 'ort', f));
  await run(process.execPath, [
    CLI,
    'publish',
    join(dir, 'ort'),
    '--store',
    join(dir, 'store'),
    '--threads',
    'optional',
  ]);
  return startServer({ store: fsStore({ dir: join(dir, 'store') }), port: 0 });
}

// Counts the workers the page constructs (the loader makes them through the page's `Worker`),
// and how many answered (each pthread worker posts once it has loaded the module), then
// initialises ORT's C API: `_OrtInit(numThreads, loggingLevel)` is 0 on success. ORT's pool is
// numThreads - 1 workers: the main thread is the fourth.
const page = (server: string, csp = '') => `<!doctype html><meta charset="utf-8">${csp}<script type="module">
  let constructed = 0;
  const answered = new Set();
  const Real = Worker;
  window.Worker = class extends Real {
    constructor(u, o) { super(u, o); constructed++; this.addEventListener('message', () => answered.add(this)); }
  };
  window.outcome = (async () => {
    const { loadEmscripten } = await import('${server}/v1/emscripten.js');
    const t0 = performance.now();
    try {
      const { app, variant, threads, why } = await loadEmscripten('ort', {
        server: '${server}', timeout: 20000,
        moduleArgs: (weft, { threads }) => ({ ...weft, numThreads: threads ? 4 : 1 }),
      });
      const init = app._OrtInit(threads ? 4 : 1, 3);
      return { variant: variant.name, threads, init, workers: constructed, answered: answered.size, isolated: crossOriginIsolated, why: why.at(-1) };
    } catch (e) {
      return { error: String(e.message), stage: e.stage, ms: performance.now() - t0 };
    }
  })();
</script>`;

describeWith('onnxruntime-web 1.30 (real build)', MJS, REAL_BUILDS_INSTALL, (mjs) => {
  let server: RunningServer;
  let pages: PageServer;
  beforeAll(async () => {
    server = await serveOrt(mjs);
    pages = await startPageServer({
      '/ort.html': { type: 'text/html', body: page(server.url) },
      // The page forbids every worker: the threaded start fails, and weft starts ORT on one thread.
      '/no-workers.html': {
        type: 'text/html',
        body: page(server.url, `<meta http-equiv="Content-Security-Policy" content="worker-src 'none'">`),
      },
    });
  });
  afterAll(async () => {
    await pages?.close();
    await server?.close();
  });

  it('on Node 20 starts the same build (its own worker_threads worker) and initialises ORT on 4 threads', async () => {
    const { app, variant, threads } = await loadEmscripten<{ _OrtInit(n: number, log: number): number }>(
      'ort',
      {
        server: server.url,
        timeout: 20_000,
        moduleArgs: { numThreads: 4 },
      },
    );
    expect([variant.name, threads, app._OrtInit(4, 3)]).toEqual(['ort-wasm-simd-threaded', true, 0]);
  });

  describeBrowsers('weft/emscripten from another origin', (engine) => {
    let browser: TestBrowser;
    beforeAll(async () => {
      browser = await engine.launch();
    });
    afterAll(() => browser?.close());

    const outcome = (kind: 'isolated' | 'plain', file = 'ort.html') =>
      pageOutcome(browser, `${pages.origin}/${kind}/${file}`);

    it('starts the self-worker pthread pool on an isolated page and initialises ORT on 4 threads', async () => {
      expect(await outcome('isolated')).toEqual({
        variant: 'ort-wasm-simd-threaded',
        threads: true,
        init: 0,
        workers: 3,
        answered: 3,
        isolated: true,
        why: undefined,
      });
    });

    it('runs the same build on one thread on a page that is not isolated, starting no worker', async () => {
      expect(await outcome('plain')).toEqual({
        variant: 'ort-wasm-simd-threaded',
        threads: false,
        init: 0,
        workers: 0,
        answered: 0,
        isolated: false,
        why: expect.stringMatching(/isolat/),
      });
    });

    it('falls back to one thread where workers cannot start (CSP worker-src none), and says so', async () => {
      expect(await outcome('isolated', 'no-workers.html')).toEqual({
        variant: 'ort-wasm-simd-threaded',
        threads: false,
        init: 0,
        // The pool's 3 workers were constructed by the first start, none ran; the second starts none.
        workers: 3,
        answered: 0,
        isolated: true,
        why: expect.stringMatching(
          /^workers failed, running on one thread: .*stage workers: worker ort-wasm-simd-threaded\.mjs failed/,
        ),
      });
    });
  });
});
