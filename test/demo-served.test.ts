/**
 * The demo as `weft serve` seeds it: every file its glue loads is in its bundle and answers from the
 * server, and the README's first example (copied from README.md, not retyped) runs it on pages of
 * another origin, isolated and not, in Chromium and Firefox.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/node/serve.js';
import type { RemoteModule } from '../src/profile/wire.js';
import { specifiersOf } from '../src/registry/glue-imports.js';
import { type BrowserEngine, describeBrowsers, type TestBrowser } from './harness/browsers.js';
import { type PageServer, startPageServer } from './harness/pages.js';

const PRIMES_BELOW_200000 = 17984;

/** The weft server (seeded with the demo on an empty store) one suite's tests share. */
function serveDemo(): () => RunningServer {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'weft-demo-served-'));
    server = await startServer({ port: 0, storeDir: dir });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => server;
}

describe("the seeded demo's bundles", () => {
  const server = serveDemo();

  it('hold every file each glue imports or starts as a worker, browser-ready (no bare package name)', async () => {
    const manifest = (await (await fetch(`${server().url}/v1/modules/demo`)).json()) as RemoteModule;
    expect(manifest.variants.map((v) => v.name)).toEqual(['set', 'sab', 'wasi-threads', 'single']);
    const loaded: Record<string, string[]> = {};
    for (const variant of manifest.variants) {
      const bundle = variant.bundle!;
      expect(bundle.entry, variant.name).toBe(`glue/${variant.name}.js`);
      // Follows the glue from its entry as a browser would, fetching each file from the server.
      const seen = new Set<string>();
      const visit = async (url: URL): Promise<void> => {
        if (seen.has(url.href)) return;
        seen.add(url.href);
        const res = await fetch(url);
        expect(res.status, url.href).toBe(200);
        const text = await res.text();
        for (const { specifier, relative } of specifiersOf(text)) {
          // platform.js imports node:worker_threads on Node-like hosts only; nothing else is bare.
          if (!relative) expect(specifier, `${url.pathname} imports a bare name`).toMatch(/^node:/);
          else await visit(new URL(specifier, url));
        }
      };
      await visit(new URL(bundle.entry, bundle.base));
      loaded[variant.name] = [...seen].map((href) => href.slice(bundle.base.length)).sort();
    }
    expect(loaded).toEqual({
      set: ['glue/job.js', 'glue/platform.js', 'glue/set-worker.js', 'glue/set.js'],
      sab: ['glue/job.js', 'glue/platform.js', 'glue/sab-worker.js', 'glue/sab.js'],
      'wasi-threads': [
        'glue/job.js',
        'glue/platform.js',
        'glue/wasi-threads-worker.js',
        'glue/wasi-threads.js',
      ],
      single: ['glue/job.js', 'glue/single.js'],
    });
  });
});

/** The README's first JS example, exactly as README.md shows it. */
function readmeExample(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block?.includes("load('demo'")) throw new Error("README.md's first js block does not load the demo");
  return block;
}

/**
 * A page running the README's example against `server`: `weft/sdk` is the server's `/v1/sdk.js`
 * (the example's own comment), `server` its origin; it reports what the example computed.
 */
function examplePage(server: string, example = readmeExample()): string {
  const code = example.replace("from 'weft/sdk'", `from '${server}/v1/sdk.js'`);
  return `<!doctype html><meta charset="utf-8"><title>README example</title>
<script>window.outcome = new Promise((resolve) => { window.done = resolve;
  addEventListener('error', (e) => resolve({ error: String(e.message) })); });</script>
<script type="module">const server = '${server}';
${code}
done({ origin: location.origin, isolated: crossOriginIsolated, variant: variant.name, primes });</script>`;
}

/** The same loader with the wasi-threads build forced (a profile that declares it), through its bundle's glue. */
const wasiPage = (server: string) =>
  examplePage(
    server,
    readmeExample().replace(
      '{ server, instantiate: false }',
      "{ server, instantiate: false, profile: { host: 'browser', caps: ['shared-memory', 'workers', 'wasi-threads'] } }",
    ),
  );

interface Outcome {
  origin: string;
  isolated: boolean;
  variant: string;
  primes: number;
}

describeBrowsers("the README's first example on a page of another origin", (engine: BrowserEngine) => {
  const server = serveDemo();
  let pages: PageServer;
  let browser: TestBrowser;
  beforeAll(async () => {
    pages = await startPageServer({
      '/readme.html': { type: 'text/html', body: examplePage(server().url) },
      '/wasi.html': { type: 'text/html', body: wasiPage(server().url) },
    });
    browser = await engine.launch();
  });
  afterAll(async () => {
    await browser?.close();
    await pages?.close();
  });

  async function outcome(path: string): Promise<Outcome> {
    const tab = await browser.newPage();
    try {
      await tab.goto(pages.origin + path);
      const got = (await tab.evaluate(() =>
        Promise.race([
          (window as unknown as { outcome: Promise<unknown> }).outcome,
          new Promise((resolve) => setTimeout(() => resolve({ error: 'no answer in 30 s' }), 30_000)),
        ]),
      )) as Outcome & { error?: string };
      if (got.error) throw new Error(got.error);
      return got;
    } finally {
      await tab.close();
    }
  }

  it('runs the sab build from its bundle (glue and worker scripts) on an isolated page: 17984 primes', async () => {
    const got = await outcome('/isolated/readme.html');
    expect(got.origin).not.toBe(server().url);
    expect(got).toMatchObject({ isolated: true, variant: 'sab', primes: PRIMES_BELOW_200000 });
  });

  it('runs the single build on a page that is not isolated: 17984 primes', async () => {
    const got = await outcome('/plain/readme.html');
    expect(got).toMatchObject({ isolated: false, variant: 'single', primes: PRIMES_BELOW_200000 });
  });

  it('runs the wasi-threads build through its bundle glue (thread-spawn workers) when it is the one chosen', async () => {
    const got = await outcome('/isolated/wasi.html');
    expect(got).toMatchObject({ isolated: true, variant: 'wasi-threads', primes: PRIMES_BELOW_200000 });
  });
});
