/**
 * weft mounted on the page's own origin (a Hono sub-app at /wasm), the page cross-origin isolated,
 * in Chromium and Firefox. A worker an isolated page starts must itself be served with COEP
 * require-corp: weft's scripts carry it, so the -sEXPORT_ES6 pthreads glue imported straight from
 * its bundle URL (no loader: its workers start from weft's URLs) runs on 4 pthreads, as does the
 * same build through `loadEmscripten`.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadAssets } from '../src/node/assets.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { createApp } from '../src/server/app.js';
import { describeBrowsers, type TestBrowser } from './harness/browsers.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { ISOLATION_HEADERS } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const CAPS = 'shared-memory,threads,workers,bulk-memory';

// `how=glue`: the glue imported from its bundle URL; `how=loader`: through weft/emscripten.
const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
  const server = location.origin + '/wasm';
  const how = new URLSearchParams(location.search).get('how');
  const late = new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 15 s')), 15000));
  window.outcome = Promise.race([late, (async () => {
    let app;
    if (how === 'glue') {
      const { bundle } = await (await fetch(server + '/v1/modules/app-es6/resolve?caps=${CAPS}')).json();
      app = await (await import(bundle.base + bundle.entry)).default();
    } else {
      const { loadEmscripten } = await import(server + '/v1/emscripten.js');
      app = (await loadEmscripten('app-es6', { server, timeout: 15000 })).app;
    }
    return { primes: app._count_primes(200000), offMain: app._work_off_main(), isolated: crossOriginIsolated };
  })()]).catch((e) => ({ error: String(e && e.message || e) }));
</script>`;

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ origin: string; server: Server }> {
  const server = createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describeWith('Debian Emscripten (emcc)', emccBuilds(), EMCC_INSTALL, (builds) => {
  let site: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-em-same-origin-'));
    cpSync(join(builds, 'es6'), join(dir, 'app-es6'), { recursive: true });
    await run(process.execPath, [CLI, 'publish', join(dir, 'app-es6'), '--store', join(dir, 'store')]);
    const app = new Hono();
    app.get('/', (c) => c.html(PAGE, 200, ISOLATION_HEADERS));
    app.route(
      '/wasm',
      createApp({ store: fsStore({ dir: join(dir, 'store') }), assets: await loadAssets() }),
    );
    site = await listen(getRequestListener(app.fetch));
  });
  afterAll(() => new Promise<void>((done) => site?.server.close(() => done())));

  it('serves every script a page may start as a worker with COEP require-corp and CORP', async () => {
    const { bundle } = (await (
      await fetch(`${site.origin}/wasm/v1/modules/app-es6/resolve?caps=${CAPS}`)
    ).json()) as {
      bundle: { base: string; files: { path: string }[] };
    };
    const urls = [
      ...bundle.files.map((f) => bundle.base + f.path),
      ...['emscripten.js', 'sdk.js', 'probe.js'].map((s) => `${site.origin}/wasm/v1/${s}`),
    ];
    for (const url of urls) {
      const res = await fetch(url);
      expect([url, res.status]).toEqual([url, 200]);
      expect([url, res.headers.get('cross-origin-embedder-policy')]).toEqual([url, 'require-corp']);
      expect([url, res.headers.get('cross-origin-resource-policy')]).toEqual([url, 'cross-origin']);
    }
  });

  describeBrowsers('an isolated page of the same origin', (engine) => {
    let browser: TestBrowser;
    beforeAll(async () => {
      browser = await engine.launch();
    });
    afterAll(() => browser?.close());

    it.each(['glue', 'loader'])(
      'runs the ES6 pthreads build started by the %s on 4 pthreads',
      async (how) => {
        const page = await browser.newPage();
        try {
          await page.goto(`${site.origin}/?how=${how}`);
          expect(
            await page.evaluate(() => (window as unknown as { outcome: Promise<unknown> }).outcome),
          ).toEqual({
            primes: 17_984,
            offMain: 200_000,
            isolated: true,
          });
        } finally {
          await page.close();
        }
      },
    );
  });
});
