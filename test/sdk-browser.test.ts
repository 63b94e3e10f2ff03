import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { type BrowserEngine, describeBrowsers, pageOutcome, type TestBrowser } from './harness/browsers.js';
import { type Page, type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

interface Outcome {
  origin: string;
  isolated: boolean;
  variant: string;
  primes: number;
  why: string[];
  threads: number;
}

// A loader page on its own origin: it imports the SDK from the weft server (another origin) and
// runs the chosen variant with the demo's glue, on 2 workers where the variant is threaded.
const page = (server: string) => `<!doctype html><meta charset="utf-8"><title>loader</title>
<script type="module">
  window.outcome = (async () => {
    const { load } = await import('${server}/v1/sdk.js');
    const result = await load('demo', { server: '${server}', instantiate: false });
    const { run } = await import('./glue/' + result.variant.name + '.js');
    const threads = result.variant.name === 'single' ? 1 : 2;
    const primes = await run({ module: result.module, threads });
    return { origin: location.origin, isolated: crossOriginIsolated, variant: result.variant.name, primes, why: result.why, threads };
  })().catch((e) => ({ error: String(e && e.stack || e) }));
</script>`;

// A page whose engine declares wasi-threads without SAB threads (as a WASI-style host would), so the
// wasi-threads build is chosen; its glue hosts wasi.thread-spawn itself (one worker per thread).
const wasiPage = (server: string) => `<!doctype html><meta charset="utf-8"><title>wasi-threads</title>
<script type="module">
  window.outcome = (async () => {
    const { load } = await import('${server}/v1/sdk.js');
    const profile = { host: 'browser', caps: ['shared-memory', 'workers', 'wasi-threads'] };
    const result = await load('demo', { server: '${server}', instantiate: false, profile });
    const { run } = await import('./glue/wasi-threads.js');
    const primes = await run({ module: result.module, threads: 2 });
    return { origin: location.origin, isolated: crossOriginIsolated, variant: result.variant.name, primes, why: [], threads: 2 };
  })().catch((e) => ({ error: String(e && e.stack || e) }));
</script>`;

const glueDir = new URL('../fixtures/demo/glue/', import.meta.url);
const glue: Record<string, Page> = Object.fromEntries(
  readdirSync(glueDir).map((f) => [
    `/glue/${f}`,
    { type: 'text/javascript', body: readFileSync(new URL(f, glueDir)) },
  ]),
);

/** The weft server and the loader pages (another origin) one suite's tests share. */
function servePages(): { origin: () => string; server: () => RunningServer } {
  let server: RunningServer;
  let pages: PageServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, storeDir: mkdtempSync(join(tmpdir(), 'weft-e2e-')) });
    pages = await startPageServer({
      '/index.html': { type: 'text/html', body: page(server.url) },
      '/wasi.html': { type: 'text/html', body: wasiPage(server.url) },
      ...glue,
    });
  });
  afterAll(async () => {
    await pages.close();
    await server.close();
  });
  return { origin: () => pages.origin, server: () => server };
}

async function outcome(
  browser: TestBrowser,
  origin: string,
  kind: 'isolated' | 'plain',
  file = 'index.html',
): Promise<Outcome> {
  const result = await pageOutcome<Outcome & { error?: string }>(browser, `${origin}/${kind}/${file}`);
  if (result.error) throw new Error(result.error);
  return result;
}

describeBrowsers('the SDK on a page of another origin', (engine: BrowserEngine) => {
  const served = servePages();
  let browser: TestBrowser;
  beforeAll(async () => {
    browser = await engine.launch();
  });
  afterAll(() => browser?.close());

  it('serves an isolated page on another origin (COEP require-corp) the sab build, which counts 17984 primes on 2 workers', async () => {
    const got = await outcome(browser, served.origin(), 'isolated');
    expect(got.origin).not.toBe(served.server().url);
    expect(got).toMatchObject({ isolated: true, variant: 'sab', primes: 17984, threads: 2, why: [] });
  });

  it('serves an isolated page that declares wasi-threads the wasi-threads build, which counts 17984 primes on 2 threads', async () => {
    const got = await outcome(browser, served.origin(), 'isolated', 'wasi.html');
    expect(got).toMatchObject({ isolated: true, variant: 'wasi-threads', primes: 17984 });
  });

  it('serves a page that is not isolated the single build, and says why threads were not granted', async () => {
    const got = await outcome(browser, served.origin(), 'plain');
    expect(got).toMatchObject({ isolated: false, variant: 'single', primes: 17984 });
    expect(got.why.join(' ')).toMatch(/not cross-origin isolated.*Cross-Origin-Opener-Policy/);
  });
});

describeWith('Chromium with --js-flags=--wasm-shared', chromiumPath(), CHROMIUM_INSTALL, () => {
  const served = servePages();
  let browser: TestBrowser;
  beforeAll(async () => {
    browser = (await launchChromium({ jsFlags: ['--wasm-shared'] })) as unknown as TestBrowser;
  });
  afterAll(() => browser.close());

  it('serves an isolated page the shared-everything build, which counts 17984 primes on 2 workers', async () => {
    const got = await outcome(browser, served.origin(), 'isolated');
    expect(got).toMatchObject({ isolated: true, variant: 'set', primes: 17984, threads: 2 });
  });
});
