/**
 * `weft/plugin` for real (build first: the apps bundle dist/browser-lib): esbuild and Vite bundle a
 * tiny app that imports `weft:demo` (or `weft:app`, Debian emcc's pthreads build) against a running
 * weft server, and the bundle runs in Chromium on a page of another origin. Requests are counted
 * where they arrive (the weft server): with the pinned manifest, none is a negotiation and the set
 * asked for is exactly a hand-written loader's (the chosen build's blob and the files its glue
 * loads); by name, today's negotiation is there beside them.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fetchPinned } from '../src/node/pin.js';
import { weftEsbuild, weftVite } from '../src/plugin/index.js';
import type { PinnedManifest } from '../src/profile/pinned.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { pageOutcome, type TestBrowser } from './harness/browsers.js';
import { emccBuilds } from './harness/builds.js';
import { type CountedServer, countedServer, kinds } from './harness/counted.js';
import { type Page, type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/cli.js');
/** What `weft/sdk` and `weft/emscripten` are to a user's bundler: the package's browser builds. */
const ALIAS = {
  'weft/sdk': join(ROOT, 'dist/browser-lib/sdk.js'),
  'weft/emscripten': join(ROOT, 'dist/browser-lib/emscripten.js'),
};

const outcome = (body: string) => `window.outcome = (async () => {
  const server = new URLSearchParams(location.search).get('server');
  ${body}
})().catch((e) => ({ error: String((e && e.stack) || e) }));\n`;

/** The demo run through its own glue (from its bundle) on 2 workers: by pinned manifest or by name. */
const DEMO = (by: 'pinned' | 'name') => `import demo from 'weft:demo';
import { load } from 'weft/sdk';
${outcome(`const { module, variant } = await load(${by === 'pinned' ? 'demo, {' : "'demo', { server,"} instantiate: false });
  const { run } = await import(/* @vite-ignore */ variant.bundle.base + variant.bundle.entry);
  return { variant: variant.name, primes: await run({ module, threads: 2 }), version: demo.version };`)}`;

/** What a page without weft writes: the build's URLs fixed in the code (here: given in the query). */
const HAND = outcome(`const q = new URLSearchParams(location.search);
  const module = await WebAssembly.compileStreaming(fetch(q.get('wasm')));
  const { run } = await import(q.get('glue'));
  return { variant: q.get('variant'), primes: await run({ module, threads: 2 }) };`);

const EMSCRIPTEN = (by: 'pinned' | 'name') => `import app from 'weft:app';
import { loadEmscripten } from 'weft/emscripten';
${outcome(`const { app: em, variant, threads } = await loadEmscripten(${by === 'pinned' ? 'app' : "'app', { server }"});
  return { variant: variant.name, threads, primes: em._count_primes(200000), version: app.version };`)}`;

const html = (script: string) =>
  `<!doctype html><meta charset="utf-8"><title>weft:app</title><script type="module" src="./${script}"></script>\n`;

async function bundleWithEsbuild(source: string, plugin: ReturnType<typeof weftEsbuild>): Promise<string> {
  const out = await esbuild.build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    alias: ALIAS,
    plugins: [plugin],
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/** A Vite build of an index.html + main.js with weft's plugin: its files by path, as pages. */
async function bundleWithVite(
  source: string,
  plugin: ReturnType<typeof weftVite>,
): Promise<Record<string, Page>> {
  const { build } = await import('vite');
  const root = mkdtempSync(join(tmpdir(), 'weft-vite-'));
  writeFileSync(join(root, 'index.html'), html('main.js'));
  writeFileSync(join(root, 'main.js'), source);
  await build({
    root,
    base: './',
    configFile: false,
    logLevel: 'silent',
    plugins: [plugin],
    resolve: { alias: ALIAS },
    build: { outDir: join(root, 'dist'), emptyOutDir: true, minify: false },
  });
  const pages: Record<string, Page> = {
    '/vite/index.html': { type: 'text/html', body: readFileSync(join(root, 'dist', 'index.html')) },
  };
  for (const f of readdirSync(join(root, 'dist', 'assets')))
    pages[`/vite/assets/${f}`] = {
      type: 'text/javascript',
      body: readFileSync(join(root, 'dist', 'assets', f)),
    };
  rmSync(root, { recursive: true, force: true });
  return pages;
}

const js = (body: string): Page => ({ type: 'text/javascript', body });
const page = (script: string): Page => ({ type: 'text/html', body: html(script) });
const unique = (requests: string[]) => [...new Set(requests)].sort();

describeWith('Chromium', chromiumPath(), CHROMIUM_INSTALL, () => {
  let dir: string;
  let weft: CountedServer;
  let pages: PageServer;
  let browser: Browser;
  let pinnedDemo: PinnedManifest;
  let pinnedApp: PinnedManifest | undefined;
  const emcc = emccBuilds();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-plugin-'));
    const store = join(dir, 'store');
    weft = await countedServer(store);
    // Published beside the demo, into the store the server is serving.
    if (emcc) {
      cpSync(join(emcc, 'app'), join(dir, 'app'), { recursive: true });
      await promisify(execFile)(process.execPath, [CLI, 'publish', join(dir, 'app'), '--store', store]);
    }
    const plugin = weftEsbuild({ server: weft.url });
    pinnedDemo = await fetchPinned(weft.url, 'demo');
    if (emcc) pinnedApp = await fetchPinned(weft.url, 'app');
    const files: Record<string, Page> = {
      '/pinned.html': page('pinned.js'),
      '/pinned.js': js(await bundleWithEsbuild(DEMO('pinned'), plugin)),
      '/named.html': page('named.js'),
      '/named.js': js(await bundleWithEsbuild(DEMO('name'), plugin)),
      '/hand.html': page('hand.js'),
      '/hand.js': js(await bundleWithEsbuild(HAND, plugin)),
      ...(await bundleWithVite(DEMO('pinned'), weftVite({ server: weft.url }))),
    };
    if (emcc) {
      files['/em-pinned.html'] = page('em-pinned.js');
      files['/em-pinned.js'] = js(await bundleWithEsbuild(EMSCRIPTEN('pinned'), plugin));
      files['/em-named.html'] = page('em-named.js');
      files['/em-named.js'] = js(await bundleWithEsbuild(EMSCRIPTEN('name'), plugin));
    }
    pages = await startPageServer(files);
    browser = await launchChromium();
    weft.take();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await weft?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a page (a fresh context each: nothing cached from another) and what the server was asked meanwhile. */
  async function visit(path: string, query = '') {
    weft.take();
    const got = await pageOutcome<Record<string, unknown>>(
      browser as unknown as TestBrowser,
      `${pages.origin}/isolated/${path}?server=${encodeURIComponent(weft.url)}${query}`,
    );
    if (got.error) throw new Error(String(got.error));
    return { got, requests: weft.take() };
  }

  it('esbuild: the bundle with weft:demo loads the sab build with no negotiation, asking exactly what a hand-written loader asks; by name, two negotiations more', async () => {
    const pinned = await visit('pinned.html');
    expect(pinned.got).toEqual({ variant: 'sab', primes: 17_984, version: '1.0.0' });
    const sab = pinnedDemo.variants.find((v) => v.name === 'sab')!;
    const hand = await visit(
      'hand.html',
      `&variant=sab&wasm=${encodeURIComponent(sab.url)}&glue=${encodeURIComponent(sab.bundle!.base + sab.bundle!.entry)}`,
    );
    expect(hand.got).toEqual({ variant: 'sab', primes: 17_984 });
    const named = await visit('named.html');
    expect(named.got).toEqual(pinned.got);

    expect(kinds(pinned.requests)).toMatchObject({ blob: 1 });
    expect(kinds(pinned.requests).negotiation).toBeUndefined();
    expect(unique(pinned.requests)).toEqual(unique(hand.requests));
    expect(kinds(named.requests)).toMatchObject({ negotiation: 2 });
    expect(unique(named.requests).filter((r) => !r.includes('/v1/modules/'))).toEqual(
      unique(pinned.requests).filter((r) => !r.includes('/v1/blobs/')),
    );
    console.log(
      `Chromium load(), isolated page: pinned ${pinned.requests.length} ${JSON.stringify(kinds(pinned.requests))}, hand-written ${hand.requests.length} ${JSON.stringify(kinds(hand.requests))}, by name ${named.requests.length} ${JSON.stringify(kinds(named.requests))}`,
    );
  });

  it('Vite 8: the same app built with weftVite loads the sab build with no negotiation, the same requests as the esbuild one', async () => {
    const esbuilt = await visit('pinned.html');
    const vite = await visit('vite/index.html');
    expect(vite.got).toEqual({ variant: 'sab', primes: 17_984, version: '1.0.0' });
    expect(unique(vite.requests)).toEqual(unique(esbuilt.requests));
    expect(kinds(vite.requests).negotiation).toBeUndefined();
  });

  describeWith('Debian Emscripten (emcc)', emcc, 'npm run fixtures:emcc', () => {
    it('esbuild: loadEmscripten(weft:app) runs the pthreads build asking only for its three files (wasm, glue, worker); by name, two negotiations more', async () => {
      const pinned = await visit('em-pinned.html');
      const named = await visit('em-named.html');
      expect(pinned.got).toEqual({
        variant: 'pthreads',
        threads: true,
        primes: 17_984,
        version: pinnedApp!.version,
      });
      expect(named.got).toEqual(pinned.got);
      const chosen = pinnedApp!.variants.find((v) => v.name === 'pthreads')!;
      const bundle = chosen.bundle!;
      const glue = bundle.files.filter((f) => f.role !== 'wasm').map((f) => new URL(bundle.base + f.path));
      expect(unique(pinned.requests)).toEqual(
        unique([new URL(chosen.url), ...glue].map((u) => `GET ${u.pathname}`)),
      );
      expect(kinds(pinned.requests)).toEqual({ blob: 1, bundle: 2 });
      expect(kinds(named.requests)).toEqual({ negotiation: 2, bundle: 2 });
      console.log(
        `Chromium loadEmscripten(), isolated page: pinned ${pinned.requests.length} ${JSON.stringify(kinds(pinned.requests))}, by name ${named.requests.length} ${JSON.stringify(kinds(named.requests))}`,
      );
    });
  });
});
