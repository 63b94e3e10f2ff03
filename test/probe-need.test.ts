import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Capability, probe } from '../src/detect/index.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { bundleText } from './harness/bundle.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

interface Profile {
  host: string;
  caps: string[];
  cached?: boolean;
  partial?: boolean;
}

/** What a hinted probe checks whatever the hint: the thread model's parts. */
const THREAD_MODEL = ['shared-memory', 'threads', 'workers', 'wasi-threads', 'set-types', 'set-threads'];
const expected = (full: Profile, need: readonly string[]) =>
  full.caps.filter((c) => need.includes(c) || THREAD_MODEL.includes(c));

describe('probe({ need }) in Node', () => {
  it('checks the capabilities named and the thread model, reports the rest absent, and says partial', async () => {
    const full = await probe({ fresh: true });
    expect(full.partial).toBeUndefined();
    for (const need of [['simd', 'gc', 'bigint'], []] as Capability[][]) {
      const hinted = await probe({ need, fresh: true });
      expect(hinted.partial).toBe(true);
      expect(hinted.caps).toEqual(expected(full, need));
    }
    // A hint naming everything is a full probe.
    const all = await probe({ need: [...full.caps, 'nested-workers'] as Capability[], fresh: true });
    expect(all.caps).toEqual(full.caps);
  });
});

const PAGE = `<!doctype html><meta charset="utf-8"><title>probe</title>
<script type="module">
  import { probe } from './probe.js';
  window.probeInPage = (options) => probe(options);
  window.ready = true;
</script>`;

describeWith('Chromium', chromiumPath(), CHROMIUM_INSTALL, () => {
  let pages: PageServer;
  let browser: Browser;
  beforeAll(async () => {
    pages = await startPageServer({
      '/index.html': { type: 'text/html', body: PAGE },
      '/probe.js': {
        type: 'text/javascript',
        body: await bundleText(`export { probe } from './src/detect/index.ts';`),
      },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
    await pages.close();
  });

  /** One page load in `context` (its storage persists): the profile and how many modules it validated. */
  async function visit(context: BrowserContext, options: object) {
    const page = await context.newPage();
    await page.addInitScript(() => {
      const validate = WebAssembly.validate;
      (window as unknown as { validations: number }).validations = 0;
      WebAssembly.validate = (bytes) => {
        (window as unknown as { validations: number }).validations++;
        return validate(bytes);
      };
    });
    await page.goto(`${pages.origin}/isolated/index.html`);
    await page.waitForFunction(() => (window as { ready?: boolean }).ready === true);
    const profile = await page.evaluate(
      (o) => (window as unknown as { probeInPage(o: unknown): Promise<Profile> }).probeInPage(o),
      options,
    );
    const validations = await page.evaluate(() => (window as unknown as { validations: number }).validations);
    // The entry is written in a task after the answer: let it run before the page goes.
    await page.evaluate(() => new Promise((done) => setTimeout(done, 10)));
    await page.close();
    return { profile, validations };
  }

  it('keeps a hinted answer marked partial: a hinted repeat reads it, a full probe checks only the rest', async () => {
    const reference = await browser.newContext();
    const full = await visit(reference, {});
    await reference.close();
    expect(full.profile.partial).toBeUndefined();

    const context = await browser.newContext();
    const need = ['simd', 'gc'];
    const hinted = await visit(context, { need });
    expect(hinted.profile).toEqual({ host: 'browser', caps: expected(full.profile, need), partial: true });
    expect(hinted.validations).toBeLessThan(full.validations);
    // The same hint on the next visit: answered from the entry, nothing validated.
    const again = await visit(context, { need });
    expect(again).toEqual({ profile: { ...hinted.profile, cached: true }, validations: 0 });
    // A full probe is not answered by the partial entry: it checks what that left unchecked only.
    const completed = await visit(context, {});
    expect(completed.profile).toEqual(full.profile);
    expect(completed.validations).toBeGreaterThan(0);
    expect(completed.validations).toBeLessThan(full.validations);
    // And the completed entry now answers a full probe.
    expect(await visit(context, {})).toEqual({ profile: { ...full.profile, cached: true }, validations: 0 });
    await context.close();
  });
});
