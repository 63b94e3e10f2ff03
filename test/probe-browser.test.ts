import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatedParts } from './fixtures/threading-table.js';
import { WFD_NAMES } from './fixtures/wfd-names.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { bundleText } from './harness/bundle.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

interface Profile {
  host: string;
  caps: string[];
  cached?: boolean;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>probe</title>
<script type="module">
  import { probe, wfd } from './probe.js';
  window.probeInPage = (options) => probe(options);
  window.wfdInPage = async (names) => Object.fromEntries(
    await Promise.all(Object.entries(names).map(async ([cap, name]) => [cap, await wfd[name]()])));
  window.ready = true;
</script>`;
const WORKER = `import { probe, wfd } from './probe.js';
onmessage = async ({ data: names }) => {
  const theirs = {};
  for (const [cap, name] of Object.entries(names)) theirs[cap] = await wfd[name]();
  postMessage({ profile: await probe(), theirs });
};`;

/** What the probe reports for each feature wasm-feature-detect knows. */
const featuresOf = (p: Profile) =>
  Object.fromEntries(Object.keys(WFD_NAMES).map((cap) => [cap, p.caps.includes(cap)]));

const threadsOf = (p: Profile) =>
  p.caps.filter((c) => ['shared-memory', 'threads', 'workers', 'wasi-threads'].includes(c));
const setOf = (p: Profile) => p.caps.filter((c) => c.startsWith('set-'));

describeWith('Chromium', chromiumPath(), CHROMIUM_INSTALL, () => {
  let pages: PageServer;
  beforeAll(async () => {
    const probe = await bundleText(
      `export { probe } from './src/detect/index.ts'; export * as wfd from 'wasm-feature-detect';`,
    );
    pages = await startPageServer({
      '/index.html': { type: 'text/html', body: PAGE },
      '/probe.js': { type: 'text/javascript', body: probe },
      '/worker.js': { type: 'text/javascript', body: WORKER },
    });
  });
  afterAll(() => pages.close());

  interface Seen {
    page: Profile;
    worker: Profile;
    /** wasm-feature-detect's own answers, in the page and in its worker. */
    theirs: { page: Record<string, boolean>; worker: Record<string, boolean> };
  }

  async function probeAt(browser: Browser, kind: 'isolated' | 'plain'): Promise<Seen> {
    const page = await browser.newPage();
    await page.goto(`${pages.origin}/${kind}/index.html`);
    await page.waitForFunction(() => (window as { ready?: boolean }).ready === true);
    const inPage = await page.evaluate(() =>
      (window as unknown as { probeInPage(): Promise<Profile> }).probeInPage(),
    );
    const theirs = await page.evaluate(
      (names) =>
        (window as unknown as { wfdInPage(n: unknown): Promise<Record<string, boolean>> }).wfdInPage(names),
      WFD_NAMES,
    );
    const inWorker = await page.evaluate(
      (names) =>
        new Promise<{ profile: Profile; theirs: Record<string, boolean> }>((resolve, reject) => {
          const w = new Worker('./worker.js', { type: 'module' });
          w.onmessage = (e) => {
            w.terminate();
            resolve(e.data);
          };
          w.onerror = (e) => reject(new Error(e.message));
          w.postMessage(names);
        }),
      WFD_NAMES,
    );
    await page.close();
    return { page: inPage, worker: inWorker.profile, theirs: { page: theirs, worker: inWorker.theirs } };
  }

  /** weft reports every feature wasm-feature-detect knows as its own detectors do, in page and worker. */
  function expectSameFeatures(seen: Seen) {
    expect(featuresOf(seen.page)).toEqual(seen.theirs.page);
    expect(featuresOf(seen.worker)).toEqual(seen.theirs.worker);
  }

  describe('without flags', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(() => browser.close());

    it('grants threads on a cross-origin-isolated page and in its dedicated worker', async () => {
      const { page, worker } = await probeAt(browser, 'isolated');
      expect(page.host).toBe('browser');
      expect(worker.host).toBe('worker');
      expect(threadsOf(page)).toEqual(['shared-memory', 'threads', 'workers', 'wasi-threads']);
      expect(threadsOf(worker)).toEqual(['shared-memory', 'threads', 'workers', 'wasi-threads']);
      expect(setOf(page)).toEqual([]);
    });

    it("reports every wasm-feature-detect feature as wasm-feature-detect's own detectors do, isolated or not", async () => {
      expectSameFeatures(await probeAt(browser, 'isolated'));
      expectSameFeatures(await probeAt(browser, 'plain'));
    });

    it('reports shared-memory without threads on a page that is not isolated, and in its worker', async () => {
      const { page, worker } = await probeAt(browser, 'plain');
      expect(threadsOf(page)).toEqual(['shared-memory', 'workers']);
      expect(threadsOf(worker)).toEqual(['shared-memory', 'workers']);
    });
  });

  describe('with --js-flags=--wasm-shared', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium({ jsFlags: ['--wasm-shared'] });
    });
    afterAll(() => browser.close());

    it('finds shared struct types and, on an isolated page only, conveyance of shared objects (set-threads)', async () => {
      const isolated = await probeAt(browser, 'isolated');
      const plain = await probeAt(browser, 'plain');
      // threading-models.md: Chromium with the flag validates what V8 14.x does, and conveys shared
      // objects only on a cross-origin-isolated page.
      const validated = validatedParts('chromium+flag');
      expect(setOf(isolated.page)).toEqual([...validated, 'set-threads']);
      expect(setOf(isolated.worker)).toEqual([...validated, 'set-threads']);
      expect(setOf(plain.page)).toEqual(validated);
      expectSameFeatures(isolated);
      expectSameFeatures(plain);
    });
  });

  describe('the per-origin profile cache', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(() => browser.close());

    const KEY = { isolated: 'weft.profile.isolated', plain: 'weft.profile.plain' };

    /**
     * One page load in `context` (its storage persists between loads): the profile, and how many
     * modules the page validated (none when the probe did not run; fewer than its capabilities when
     * it probes: the baseline's seven share one module, compiled and instantiated ones are not validated).
     */
    async function visit(
      context: BrowserContext,
      kind: 'isolated' | 'plain',
      options: { fresh?: boolean } = {},
    ): Promise<{ profile: Profile; validations: number }> {
      const page = await context.newPage();
      await page.addInitScript(() => {
        const validate = WebAssembly.validate;
        (window as unknown as { validations: number }).validations = 0;
        WebAssembly.validate = (bytes) => {
          (window as unknown as { validations: number }).validations++;
          return validate(bytes);
        };
      });
      await page.goto(`${pages.origin}/${kind}/index.html`);
      await page.waitForFunction(() => (window as { ready?: boolean }).ready === true);
      const profile = await page.evaluate(
        (o) => (window as unknown as { probeInPage(o: unknown): Promise<Profile> }).probeInPage(o),
        options,
      );
      const validations = await page.evaluate(
        () => (window as unknown as { validations: number }).validations,
      );
      // The probe writes its entry in a task after answering: let it run before the page goes.
      await page.evaluate(() => new Promise((done) => setTimeout(done, 10)));
      await page.close();
      return { profile, validations };
    }

    const stored = async (context: BrowserContext, kind: 'isolated' | 'plain') => {
      const page = await context.newPage();
      await page.goto(`${pages.origin}/${kind}/index.html`);
      const value = await page.evaluate((key) => localStorage.getItem(key), KEY[kind]);
      await page.close();
      return value;
    };
    const store = async (context: BrowserContext, kind: 'isolated' | 'plain', value: string) => {
      const page = await context.newPage();
      await page.goto(`${pages.origin}/${kind}/index.html`);
      await page.evaluate(([key, v]) => localStorage.setItem(key!, v!), [KEY[kind], value]);
      await page.close();
    };

    it('probes on the first visit and reads the same profile from the cache on the second, without validating anything', async () => {
      const context = await browser.newContext();
      const first = await visit(context, 'isolated');
      expect(first.profile.cached).toBeUndefined();
      expect(first.validations).toBeGreaterThan(10);
      const second = await visit(context, 'isolated');
      expect(second.profile).toEqual({ ...first.profile, cached: true });
      expect(second.validations).toBe(0);
      await context.close();
    });

    it("keeps isolated and non-isolated pages of one origin apart: neither reads the other's entry", async () => {
      const context = await browser.newContext();
      const isolated = await visit(context, 'isolated');
      const plain = await visit(context, 'plain');
      expect(plain.profile.cached).toBeUndefined();
      expect(plain.profile.caps).not.toContain('threads');
      expect(isolated.profile.caps).toContain('threads');
      expect((await visit(context, 'isolated')).profile).toEqual({ ...isolated.profile, cached: true });
      expect((await visit(context, 'plain')).profile).toEqual({ ...plain.profile, cached: true });
      await context.close();
    });

    it('ignores a tampered, corrupt or foreign entry, probes, and writes a valid one in its place', async () => {
      const context = await browser.newContext();
      const honest = await visit(context, 'plain');
      // An entry: the checksum, then the capabilities, comma-separated.
      const entry = (await stored(context, 'plain'))!;
      const [sum, ...caps] = entry.split(',');
      expect(caps).toEqual(honest.profile.caps);
      const tampered = [
        // Threads granted on a page that is not isolated, checksum kept.
        [sum, 'shared-memory', 'threads', ...caps.slice(1)].join(),
        // A capability removed.
        [sum, ...caps.slice(1)].join(),
        // A name weft does not know, with a checksum that is not for it.
        `${sum},teleportation`,
        // Not this format: cut short, an earlier version's JSON entry, empty.
        entry.slice(0, 5),
        JSON.stringify({ caps, sum: Number(sum) }),
        'null',
        '',
      ];
      for (const value of tampered) {
        await store(context, 'plain', value);
        const seen = await visit(context, 'plain');
        expect(seen.profile, value).toEqual(honest.profile);
        expect(seen.validations, value).toBeGreaterThan(0);
        expect(await stored(context, 'plain'), value).toBe(entry);
      }
      await context.close();
    });

    it('re-probes with fresh: true even when a valid entry exists', async () => {
      const context = await browser.newContext();
      const first = await visit(context, 'isolated');
      const fresh = await visit(context, 'isolated', { fresh: true });
      expect(fresh.profile).toEqual(first.profile);
      expect(fresh.profile.cached).toBeUndefined();
      expect(fresh.validations).toBeGreaterThan(10);
      await context.close();
    });

    it('does not share an entry with an engine that reports another User-Agent', async () => {
      const a = await browser.newContext({ userAgent: 'Engine/1' });
      await visit(a, 'plain');
      const stale = (await stored(a, 'plain'))!;
      await a.close();
      const b = await browser.newContext({
        userAgent: 'Engine/2',
        storageState: {
          cookies: [],
          origins: [{ origin: pages.origin, localStorage: [{ name: KEY.plain, value: stale }] }],
        },
      });
      const seen = await visit(b, 'plain');
      expect(seen.profile.cached).toBeUndefined();
      expect(seen.validations).toBeGreaterThan(0);
      await b.close();
    });
  });
});
