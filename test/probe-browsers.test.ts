import { afterAll, beforeAll, expect, it } from 'vitest';
import { WFD_NAMES } from './fixtures/wfd-names.js';
import { describeBrowsers, pageOutcome, type TestBrowser } from './harness/browsers.js';
import { bundleText } from './harness/bundle.js';
import { type PageServer, startPageServer } from './harness/pages.js';

interface Outcome {
  profile: { host: string; caps: string[]; cached?: boolean };
  /** wasm-feature-detect's own answers on the same page. */
  theirs: Record<string, boolean>;
}

// The probe first (so it finds the page as a visitor's page does), then wasm-feature-detect; the
// outcome waits a task so the probe's cache write lands before the tab closes.
const PAGE = `<!doctype html><meta charset="utf-8"><title>probe</title>
<script type="module">
  import { probe, wfd } from './probe.js';
  const names = ${JSON.stringify(WFD_NAMES)};
  window.outcome = (async () => {
    const profile = await probe();
    const theirs = {};
    for (const [cap, name] of Object.entries(names)) theirs[cap] = await wfd[name]();
    await new Promise((done) => setTimeout(done, 20));
    return { profile, theirs };
  })();
</script>`;

const featuresOf = (p: Outcome['profile']) =>
  Object.fromEntries(Object.keys(WFD_NAMES).map((cap) => [cap, p.caps.includes(cap)]));

let pages: PageServer;
beforeAll(async () => {
  const probe = await bundleText(
    `export { probe } from './src/detect/index.ts'; export * as wfd from 'wasm-feature-detect';`,
  );
  pages = await startPageServer({
    '/index.html': { type: 'text/html', body: PAGE },
    '/probe.js': { type: 'text/javascript', body: probe },
  });
});
afterAll(() => pages.close());

describeBrowsers('the probe in every browser', (engine) => {
  let browser: TestBrowser;
  beforeAll(async () => {
    browser = await engine.launch();
  });
  afterAll(() => browser.close());

  // Firefox's tabs share one profile, so its second page reads the first one's entry; each of
  // playwright's Chromium pages is its own context (empty storage), so there it probes again
  // (probe-browser.test.ts covers Chromium's cache with pages of one context).
  const shared = engine.name === 'firefox';
  it(`reports every wasm-feature-detect feature as wasm-feature-detect's own detectors do; a second page ${shared ? 'reads the same profile from the cache' : 'of a new context probes the same profile'}`, async () => {
    for (const kind of ['isolated', 'plain'] as const) {
      const first = await pageOutcome<Outcome>(browser, `${pages.origin}/${kind}/index.html`);
      expect(first.profile.host).toBe('browser');
      expect(first.profile.cached, kind).toBeUndefined();
      expect(featuresOf(first.profile), kind).toEqual(first.theirs);
      expect(first.profile.caps.includes('threads'), kind).toBe(kind === 'isolated');
      const again = await pageOutcome<Outcome>(browser, `${pages.origin}/${kind}/index.html`);
      expect(again.profile, kind).toEqual(shared ? { ...first.profile, cached: true } : first.profile);
    }
  });
});
