/**
 * Every real browser the tests run pages in, behind the few calls they use: Debian's Chromium
 * (playwright-core over CDP) and Debian's Firefox ESR (puppeteer-core over WebDriver BiDi; see
 * ../shared/docs/engines.md). A test written once with `describeBrowsers` runs in each; a missing
 * browser fails under CI=true with its install command, as every engine does.
 */
import { existsSync } from 'node:fs';
import { describe } from 'vitest';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './browser.js';
import { describeWith } from './require.js';

export const FIREFOX = process.env.WEFT_FIREFOX ?? '/usr/bin/firefox-esr';
export const FIREFOX_INSTALL = 'sudo apt-get install -y --no-install-recommends firefox-esr';

/** What playwright's and puppeteer's pages have in common, and all a test needs of a page. */
export interface TestPage {
  goto(url: string): Promise<unknown>;
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  close(): Promise<void>;
}

export interface TestBrowser {
  newPage(): Promise<TestPage>;
  close(): Promise<void>;
}

export interface BrowserEngine {
  name: 'chromium' | 'firefox';
  /** The browser's binary, or null when it is not installed. */
  path(): string | null;
  install: string;
  launch(): Promise<TestBrowser>;
}

export const firefoxPath = (): string | null => (existsSync(FIREFOX) ? FIREFOX : null);

/** Firefox ESR headless over WebDriver BiDi, with a fresh profile (puppeteer makes one per launch). */
export async function launchFirefox(): Promise<TestBrowser> {
  const { default: puppeteer } = await import('puppeteer-core');
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    // Nothing that reaches for the network: no updates, no telemetry, no captive-portal checks.
    extraPrefsFirefox: {
      'app.update.enabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'toolkit.telemetry.enabled': false,
    },
  }) as unknown as Promise<TestBrowser>;
}

export const BROWSERS: BrowserEngine[] = [
  {
    name: 'chromium',
    path: chromiumPath,
    install: CHROMIUM_INSTALL,
    launch: () => launchChromium() as unknown as Promise<TestBrowser>,
  },
  { name: 'firefox', path: firefoxPath, install: FIREFOX_INSTALL, launch: launchFirefox },
];

/**
 * Opens `url` in a fresh tab of `browser` and returns what the page's script put in
 * `window.outcome` (a promise the page resolves with its answer); the tab is closed either way.
 */
export async function pageOutcome<T = unknown>(browser: TestBrowser, url: string): Promise<T> {
  const tab = await browser.newPage();
  try {
    await tab.goto(url);
    return (await tab.evaluate(() => (window as unknown as { outcome: Promise<unknown> }).outcome)) as T;
  } finally {
    await tab.close();
  }
}

/** `describeWith` once per browser: `body` gets the engine, and launches it in its own hooks. */
export function describeBrowsers(what: string, body: (engine: BrowserEngine) => void): void {
  describe(what, () => {
    for (const engine of BROWSERS)
      describeWith(
        `${engine.name} (${engine.install.split(' ').at(-1)})`,
        engine.path(),
        engine.install,
        () => body(engine),
      );
  });
}
