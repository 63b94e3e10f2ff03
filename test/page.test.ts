import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { describeWith } from './harness/require.js';

const ARTIFACTS = new URL('../test-results/', import.meta.url).pathname;

interface Seen {
  host: string;
  model: string;
  isolated: string;
  advice: string;
  variant: string;
  rejected: string[];
  curl: string;
  groups: string[];
  /** Each capability as shown, `✓ name`, `✗ name` or `? name (not checked)`. */
  caps: string[];
  stats: string;
}

describeWith('Chromium', chromiumPath(), CHROMIUM_INSTALL, () => {
  let server: RunningServer;
  let storeDir: string;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    storeDir = mkdtempSync(join(tmpdir(), 'weft-page-'));
    server = await startServer({ port: 0, storeDir });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
    await server.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  /**
   * Opens the diagnostics page (isolated at `/`, or with isolation turned off) and reads what a
   * person sees; `shot` names the screenshot kept in test-results/.
   */
  async function visit(path: string, shot?: string, origin = server.url): Promise<Seen> {
    const page = await browser.newPage({ viewport: { width: 412, height: 915 } });
    await page.goto(origin + path);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    if (shot) await page.screenshot({ path: join(ARTIFACTS, shot), fullPage: true });
    const seen = await page.evaluate(() => ({
      host: document.getElementById('host')!.textContent!,
      model: document.getElementById('model')!.textContent!,
      isolated: document.getElementById('isolated')!.textContent!,
      advice: document.getElementById('advice')!.textContent!,
      variant: document.querySelector('#modules .variant')!.textContent!,
      rejected: [...document.querySelectorAll('#modules li')].map((li) => li.textContent!),
      curl: document.querySelector('#modules pre')!.textContent!,
      groups: [...document.querySelectorAll('#caps h3')].map((h) => h.textContent!),
      caps: [...document.querySelectorAll('#caps li')].map((li) => li.textContent!),
      stats: document.getElementById('stats')!.textContent!,
    }));
    await page.close();
    return seen;
  }

  it('shows an isolated visitor the sab thread model, the sab variant, and no isolation advice', async () => {
    const seen = await visit('/', 'page-isolated.png');
    expect(seen).toMatchObject({
      host: 'browser',
      model: 'sab',
      isolated: 'yes',
      advice: '',
      variant: 'sab',
    });
    expect(seen.rejected.join(' ')).toMatch(/^set needs .*set-threads/);
    expect(seen.groups.map((g) => g.replace(/ \(.*/, ''))).toEqual([
      'Threads',
      'Shared-everything threads',
      'Other features',
    ]);
    expect(seen.curl).toMatch(
      /^curl -o demo\.wasm 'http:\/\/127\.0\.0\.1:\d+\/v1\/modules\/demo\/wasm\?caps=shared-memory,threads,/,
    );
  });

  it('says nested-workers is not checked (the page probe does not start workers), where Chromium has them', async () => {
    const seen = await visit('/');
    expect(seen.caps).toContain('? nested-workers (not checked)');
    expect(seen.caps.filter((c) => c.startsWith('?'))).toEqual(['? nested-workers (not checked)']);
    // Every other capability is checked: ✓ or ✗, and the threads this isolated page has are ✓.
    expect(seen.caps).toEqual(expect.arrayContaining(['✓ shared-memory', '✓ threads', '✓ workers']));
    // A ✗ would have been wrong: the deep probe on the same page finds them.
    const page = await browser.newPage();
    await page.goto(server.url);
    const deep = (await page.evaluate(
      "import('/v1/probe.js').then((m) => m.probe({ deep: true })).then((p) => p.caps)",
    )) as string[];
    await page.close();
    expect(deep).toContain('nested-workers');
  });

  it('runs the demo with "Run it" on the isolated page: the sab variant on its workers, its answer, threads and time', async () => {
    const page = await browser.newPage({ viewport: { width: 412, height: 915 } });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    expect(await page.isVisible('#run')).toBe(true);
    await page.click('#run');
    await page.waitForSelector('body[data-ran="true"]', { timeout: 30_000 });
    await page.locator('#demo').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'page-run.png') });
    const ran = await page.evaluate(() => ({
      answer: document.getElementById('answer')!.textContent!,
      primes: document.getElementById('primes')?.textContent,
      variant: document.getElementById('ran')?.textContent,
      threads: Number(document.getElementById('threads')?.textContent),
      ms: Number(document.getElementById('ms')?.textContent),
    }));
    await page.close();
    expect(ran.answer).toMatch(/^17984 primes below 200000 by sab on \d+ threads in \d+ ms/);
    expect(ran).toMatchObject({ primes: '17984', variant: 'sab' });
    expect(ran.threads).toBeGreaterThan(1);
    expect(ran.ms).toBeGreaterThan(0);
  });

  it('shows a visitor on a page that is not isolated the single thread model and exactly what to change', async () => {
    const seen = await visit('/?isolation=off', 'page-not-isolated.png');
    expect(seen).toMatchObject({ model: 'single', isolated: 'no', variant: 'single' });
    expect(seen.advice).toMatch(
      /Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/,
    );
    expect(seen.rejected.join(' ')).toMatch(/sab needs threads/);
  });

  it('says the second visit of the same browser read its profile from the cache, and probes again on request', async () => {
    const context = await browser.newContext();
    const open = async () => {
      const page = await context.newPage();
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
      return page;
    };
    const read = (page: Page) =>
      page.evaluate(() => ({
        source: document.getElementById('source')!.textContent!,
        model: document.getElementById('model')!.textContent!,
        caps: document.getElementById('caps')!.textContent!,
      }));
    const first = await open();
    const probed = await read(first);
    await first.close();
    expect(probed.source).toBe('probed now');
    const second = await open();
    const cached = await read(second);
    expect(cached.source).toMatch(/^from this browser's cache/);
    expect({ ...cached, source: '' }).toEqual({ ...probed, source: '' });
    await second.click('#again');
    await second.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    expect(await read(second)).toEqual(probed);
    await context.close();
  });

  it('runs the deep probe from /v1/probe.js, whose worker checks load as a separate chunk', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    // A string, so the test runner does not rewrite the page's own import().
    const caps = (await page.evaluate(
      "import('/v1/probe.js').then((m) => m.probe({ deep: true })).then((p) => p.caps)",
    )) as string[];
    await page.close();
    expect(caps).toEqual(expect.arrayContaining(['threads', 'nested-workers']));
  });

  it('charts what the server served: an isolated and a non-isolated visit, counted by thread model', async () => {
    // Its own server and its own visits: the counts are this test's, whichever tests ran before.
    const ownDir = mkdtempSync(join(tmpdir(), 'weft-page-'));
    const own = await startServer({ port: 0, storeDir: ownDir });
    try {
      const before = (await (await fetch(`${own.url}/v1/stats`)).json()) as {
        models: Record<string, number>;
      };
      expect([before.models.sab, before.models.single]).toEqual([0, 0]);
      await visit('/', undefined, own.url);
      await visit('/?isolation=off', undefined, own.url);
      const res = await fetch(`${own.url}/v1/stats`);
      const stats = (await res.json()) as { requests: number; models: Record<string, number>; scope: string };
      expect(stats.models.sab).toBeGreaterThanOrEqual(1);
      expect(stats.models.single).toBeGreaterThanOrEqual(1);
      expect(stats.scope).toMatch(/process/);
      const seen = await visit('/', 'page-stats.png', own.url);
      expect(seen.stats).toMatch(/\d+ negotiated requests/);
    } finally {
      await own.close();
      rmSync(ownDir, { recursive: true, force: true });
    }
  });
});
