import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatedParts } from './fixtures/threading-table.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { bundleText } from './harness/bundle.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

interface Profile {
  host: string;
  caps: string[];
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>probe</title>
<script type="module">
  import { probe } from './probe.js';
  window.probeInPage = () => probe();
  window.probeInWorker = () => new Promise((resolve, reject) => {
    const w = new Worker('./worker.js', { type: 'module' });
    w.onmessage = (e) => { w.terminate(); resolve(e.data); };
    w.onerror = (e) => reject(new Error(e.message));
  });
  window.ready = true;
</script>`;
const WORKER = `import { probe } from './probe.js'; probe().then((p) => postMessage(p));`;

const threadsOf = (p: Profile) =>
  p.caps.filter((c) => ['shared-memory', 'threads', 'workers', 'wasi-threads'].includes(c));
const setOf = (p: Profile) => p.caps.filter((c) => c.startsWith('set-'));

describeWith('Chromium', chromiumPath(), CHROMIUM_INSTALL, () => {
  let pages: PageServer;
  beforeAll(async () => {
    const probe = await bundleText(`export { probe } from './src/detect/index.ts';`);
    pages = await startPageServer({
      '/index.html': { type: 'text/html', body: PAGE },
      '/probe.js': { type: 'text/javascript', body: probe },
      '/worker.js': { type: 'text/javascript', body: WORKER },
    });
  });
  afterAll(() => pages.close());

  async function probeAt(
    browser: Browser,
    kind: 'isolated' | 'plain',
  ): Promise<{ page: Profile; worker: Profile }> {
    const page = await browser.newPage();
    await page.goto(`${pages.origin}/${kind}/index.html`);
    await page.waitForFunction(() => (window as { ready?: boolean }).ready === true);
    const inPage = await page.evaluate(() =>
      (window as unknown as { probeInPage(): Promise<Profile> }).probeInPage(),
    );
    const inWorker = await page.evaluate(() =>
      (window as unknown as { probeInWorker(): Promise<Profile> }).probeInWorker(),
    );
    await page.close();
    return { page: inPage, worker: inWorker };
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
    });
  });
});
