/**
 * Figure 4: end to end in Chromium, from `load()` to a ready instance, against a hand-written
 * `WebAssembly.instantiateStreaming(fetch(fixedUrl))` of the same variant, and the requests each makes.
 * The real Node entry serves; the loader page is on another origin, cross-origin isolated.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { seedDemo } from '../src/node/demo.js';
import { nodeEncoders } from '../src/node/encoders.js';
import { startServer } from '../src/node/serve.js';
import { publish } from '../src/registry/publish.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { chromiumPath, launchChromium } from '../test/harness/browser.js';
import { startPageServer } from '../test/harness/pages.js';
import { bigWasm } from './fixture.js';
import { interleave, iqr, median, ms, type Row, type Section } from './stats.js';

const root = new URL('..', import.meta.url).pathname;
/** Builds of 161 B and 100 KB: a sample is tens of milliseconds, and one fetch's jitter a large part of it. */
const SAMPLES = 25;
/** A quiet moment after the SDK's import, before the timer, in every arm (as in bench/load-sizes.ts). */
const SETTLE_MS = 200;
const GOAL = 1.1;
// No probe: a fixed profile that selects `single`, so both sides fetch and instantiate the same bytes.
const PROFILE = { host: 'browser', caps: [] };

type Mode = 'cached' | 'negotiated' | 'fixed';

interface Sample {
  ms: number;
  variant: string;
  requests: number;
  wasmRequests: number;
}

interface Args {
  mode: Mode;
  server: string;
  name: string;
  manifest: unknown;
  url: string;
  profile: typeof PROFILE;
  settle: number;
}

/** Runs in the page: the SDK is already imported (window.sdk); the timer brackets only the load. */
async function timedLoad(a: Args): Promise<{ ms: number; variant: string }> {
  type Sdk = { load(n: string, o: object): Promise<{ instance?: object; variant: { name: string } }> };
  const sdk = (window as unknown as { sdk: Sdk }).sdk;
  await new Promise((r) => setTimeout(r, a.settle));
  const t0 = performance.now();
  if (a.mode === 'fixed') {
    const { instance } = await WebAssembly.instantiateStreaming(fetch(a.url));
    return { ms: performance.now() - t0, variant: instance ? 'fixed' : 'none' };
  }
  const options =
    a.mode === 'cached'
      ? { server: a.server, manifest: a.manifest, profile: a.profile }
      : { server: a.server, profile: a.profile };
  const result = await sdk.load(a.name, options);
  const elapsed = performance.now() - t0;
  return { ms: elapsed, variant: result.instance ? result.variant.name : 'none' };
}

/**
 * One Chromium sample: a fresh context (an empty HTTP and code cache, so every sample downloads and
 * compiles), `page` opened and the SDK imported from `server` as `window.sdk` before `run` starts
 * its timer.
 */
export async function withSdkPage<T>(
  browser: Browser,
  page: string,
  server: string,
  run: (tab: Page) => Promise<T>,
): Promise<T> {
  const context = await browser.newContext();
  try {
    const tab = await context.newPage();
    await tab.goto(page);
    await tab.evaluate(async (server) => {
      (window as unknown as { sdk: unknown }).sdk = await import(`${server}/v1/sdk.js`);
    }, server);
    return await run(tab);
  } finally {
    await context.close();
  }
}

function sample(browser: Browser, page: string, args: Args): Promise<Sample> {
  return withSdkPage(browser, page, args.server, async (tab) => {
    const urls: string[] = [];
    tab.on('request', (r) => urls.push(r.url()));
    const got = await tab.evaluate(timedLoad, args);
    const wasm = urls.filter((u) =>
      /\/wasm(\?|$)|\.wasm(\?|$)/.test(new URL(u).pathname + new URL(u).search),
    );
    return { ...got, requests: urls.length, wasmRequests: wasm.length };
  });
}

export async function e2eBench(): Promise<Section> {
  if (!chromiumPath())
    return {
      title: '4. End to end in Chromium',
      method: 'Skipped: Chromium not found at /usr/bin/chromium.',
      rows: [],
      notes: [],
    };
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-e2e-'));
  const store = fsStore({ dir });
  await seedDemo(store, nodeEncoders);
  const big = bigWasm();
  // Versions are immutable: the last variant's publish makes 1.0.0 (the others make 0.0.0, 0.0.0+1).
  for (const [variant, bytes] of [
    ['single', big],
    ['sab', readFileSync(join(root, 'fixtures/demo/sab.wasm'))],
    ['set', readFileSync(join(root, 'fixtures/demo/set.wasm'))],
  ] as const)
    await publish(
      store,
      { module: 'big', variant, bytes, ...(variant === 'set' ? { version: '1.0.0' } : {}) },
      nodeEncoders,
    );
  const server = await startServer({ store, port: 0 });
  const pages = await startPageServer({
    '/e2e.html': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>e2e</title>' },
  });
  const browser = await launchChromium();
  try {
    if ((await fetch(`${server.url}/v1/sdk.js`)).status !== 200)
      throw new Error('the server has no /v1/sdk.js: run `node scripts/build.mjs` first');
    const page = `${pages.origin}/isolated/e2e.html`;
    const rows: Row[] = [];
    const notes: string[] = [];
    const ways: string[] = [];
    for (const name of ['demo', 'big']) {
      const manifest = (await (await fetch(`${server.url}/v1/modules/${name}`)).json()) as {
        variants: { name: string; url: string; size: number }[];
      };
      const single = manifest.variants.find((v) => v.name === 'single')!;
      const label = `\`${name}\` single (${single.size.toLocaleString('en-US')} B)`;
      const args = (mode: Mode): Args => ({
        mode,
        server: server.url,
        name,
        manifest,
        url: single.url,
        profile: PROFILE,
        settle: SETTLE_MS,
      });
      await sample(browser, page, args('cached'));
      await sample(browser, page, args('fixed'));
      const [cached, negotiated, fixed] = (await interleave(
        SAMPLES,
        (['cached', 'negotiated', 'fixed'] as const).map((mode) => () => sample(browser, page, args(mode))),
      )) as [Sample[], Sample[], Sample[]];
      const wrong = [...cached, ...negotiated].filter((s) => s.variant !== 'single').length;
      if (wrong) notes.push(`${label}: ${wrong} load() samples did not end with a \`single\` instance.`);
      const base = median(fixed.map((s) => s.ms));
      notes.push(
        `${label}: interquartile spread of the time to instance ${ms(iqr(cached.map((x) => x.ms)))} (cached), ` +
          `${ms(iqr(negotiated.map((x) => x.ms)))} (negotiated), ${ms(iqr(fixed.map((x) => x.ms)))} (baseline).`,
      );
      const requests = (xs: Sample[]) =>
        `${median(xs.map((s) => s.requests))} (${median(xs.map((s) => s.wasmRequests))} wasm)`;
      for (const [what, xs] of [
        ['cached manifest', cached],
        ['negotiated, no manifest', negotiated],
      ] as const) {
        const t = median(xs.map((s) => s.ms));
        const spread = Math.max(iqr(xs.map((x) => x.ms)), iqr(fixed.map((x) => x.ms)));
        if (t / base > GOAL)
          ways.push(
            `${label}, ${what}: ${ms(t - base)} slower, ` +
              (t - base <= spread
                ? `less than the interquartile spread of its samples (${ms(spread)}), within the noise of ${SAMPLES} samples`
                : `beyond the interquartile spread of its samples (${ms(spread)})`),
          );
        rows.push({
          figure: `${label}: \`load()\`, ${what}: time to instance`,
          value: ms(t),
          baseline: ms(base),
          ratio: t / base,
          goal: `≤ ${GOAL}×`,
          met: t / base <= GOAL,
        });
      }
      const oneWasm = cached.every((s) => s.wasmRequests === 1);
      rows.push({
        figure: `${label}: requests, cached manifest`,
        value: requests(cached),
        baseline: requests(fixed),
        ratio: Number.NaN,
        goal: 'exactly 1 wasm request',
        met: oneWasm,
      });
      rows.push({
        figure: `${label}: requests, negotiated`,
        value: requests(negotiated),
        baseline: requests(fixed),
        ratio: Number.NaN,
        goal: '—',
      });
    }
    if (ways.length)
      notes.push(
        `What stands in the way: ${ways.join('; ')}. With a cached manifest \`load()\` selects the variant, ` +
          'reads a build of at most 1 MiB whole, digests it with WebCrypto and only then compiles it, where ' +
          'the baseline compiles as the bytes arrive. Negotiated, it asks for `GET /v1/modules/:name` beside ' +
          "the `/wasm` answer and waits for it (the variant's record, its polyfills and its imports) before " +
          'the body is compiled: two requests where the baseline makes one. On loopback on this machine one ' +
          'fetch already takes milliseconds under load, so each extra request shows at these sizes.',
      );
    return {
      title: '4. End to end in Chromium',
      method:
        `Median of ${SAMPLES} samples per arm, arms interleaved; each sample in a fresh browser context (empty ` +
        'HTTP cache) on a cross-origin-isolated page served from another origin; the SDK is imported from ' +
        `the server's \`/v1/sdk.js\`, then ${SETTLE_MS} ms pass before the timer starts; time measured in the page with \`performance.now()\` ` +
        'until an instance exists. Candidate: `load(name, { server, manifest, profile })` (manifest fetched ' +
        'beforehand, as a loader that cached it would) and `load(name, { server, profile })`; the profile ' +
        '`{ host: "browser", caps: [] }` selects `single`. Baseline: `WebAssembly.instantiateStreaming(' +
        "fetch(url))` of the same variant's blob URL. Requests counted with playwright's `page.on('request')` " +
        'during the timed call. Server: `startServer` on an fs store (demo seeded, plus a module `big` whose ' +
        '`single` is the ~100 KB variant).',
      rows,
      notes,
    };
  } finally {
    await browser.close();
    await pages.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
