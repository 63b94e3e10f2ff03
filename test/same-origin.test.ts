/**
 * weft mounted on the page's own origin: as a Hono sub-app (`app.route('/wasm', weft)`) and as a
 * Node request handler beside a site. Its answers name URLs under the mount, and an isolated
 * Chromium page there loads and runs the Emscripten pthreads bundle through `weft/emscripten`.
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
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAssets } from '../src/node/assets.js';
import { weftHandler } from '../src/node/handler.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { createApp } from '../src/server/app.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { ISOLATION_HEADERS } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;

// The site's own page: same origin as weft, cross-origin isolated.
const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
  window.outcome = (async () => {
    const server = location.origin + '/wasm';
    const { loadEmscripten } = await import(server + '/v1/emscripten.js');
    const { app, variant } = await loadEmscripten('app', { server });
    const primes = app._count_primes(200000);
    return { variant: variant.name, primes, offMain: app._work_off_main(), isolated: crossOriginIsolated };
  })().catch((e) => ({ error: String(e && e.stack || e) }));
</script>`;

async function publishedStore(builds: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-same-origin-'));
  cpSync(join(builds, 'app'), join(dir, 'app'), { recursive: true });
  await run(process.execPath, [CLI, 'publish', join(dir, 'app'), '--store', join(dir, 'store')]);
  return join(dir, 'store');
}

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ origin: string; server: Server }> {
  const server = createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

/** The two ways to mount weft on a site's origin, each serving PAGE at `/`. */
const MOUNTS: Record<string, (store: string) => Promise<Parameters<typeof createServer>[1]>> = {
  'a Hono sub-app': async (store) => {
    const site = new Hono();
    site.get('/', (c) => c.html(PAGE, 200, ISOLATION_HEADERS));
    site.route('/wasm', createApp({ store: fsStore({ dir: store }), assets: await loadAssets() }));
    return getRequestListener(site.fetch);
  },
  'a Node request handler': async (store) => {
    const weft = weftHandler({ mount: '/wasm', storeDir: store });
    return (req, res) =>
      weft(req, res, () => {
        if (req.url === '/')
          res.writeHead(200, { 'Content-Type': 'text/html', ...ISOLATION_HEADERS }).end(PAGE);
        else res.writeHead(404).end();
      });
  },
};

/** A site with weft mounted `how`, over a fresh store holding the emcc app; closed after the block. */
function mountedSite(builds: string, how: string): () => Awaited<ReturnType<typeof listen>> {
  let site: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    site = await listen(await MOUNTS[how]!(await publishedStore(builds)));
  });
  afterAll(() => new Promise<void>((done) => site.server.close(() => done())));
  return () => site;
}

describeWith('Debian Emscripten (emcc)', emccBuilds(), EMCC_INSTALL, (builds) => {
  describe.each(Object.keys(MOUNTS))('weft mounted at /wasm as %s', (how) => {
    const site = mountedSite(builds, how);

    it('answers under the mount with URLs under the mount, and leaves other paths to the site', async () => {
      const { origin } = site();
      const res = await fetch(
        `${origin}/wasm/v1/modules/app/resolve?caps=shared-memory,threads,workers,bulk-memory`,
      );
      const answer = (await res.json()) as { url: string; bundle: { base: string; entry: string } };
      expect(answer.url).toMatch(new RegExp(`^${origin}/wasm/v1/blobs/sha256-[0-9a-f]{64}\\.wasm$`));
      expect(answer.bundle.base).toMatch(new RegExp(`^${origin}/wasm/v1/bundles/[0-9a-f]{32}/$`));
      expect((await fetch(answer.bundle.base + answer.bundle.entry)).status).toBe(200);
      expect((await fetch(`${origin}/wasm/nope`)).status).toBe(404);
      expect((await fetch(`${origin}/`)).headers.get('content-type')).toMatch(/text\/html/);
    });
  });
});

// Like every engine test: missing emcc or Chromium fails under CI with the install command, and
// is skipped with that command outside CI (describeWith).
const both = (() => {
  const builds = emccBuilds();
  return builds && chromiumPath() ? builds : null;
})();

describeWith('Debian Emscripten and Chromium', both, `${EMCC_INSTALL}; ${CHROMIUM_INSTALL}`, (builds) => {
  describe.each(Object.keys(MOUNTS))('weft mounted at /wasm as %s', (how) => {
    const site = mountedSite(builds, how);

    it('runs the pthreads bundle on the isolated page of the same origin, on 4 pthreads', async () => {
      const browser: Browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`${site().origin}/`);
        const outcome = await page.evaluate(
          () => (window as unknown as { outcome: Promise<unknown> }).outcome,
        );
        expect(outcome).toEqual({ variant: 'pthreads', primes: 17_984, offMain: 200_000, isolated: true });
      } finally {
        await browser.close();
      }
    });
  });
});
