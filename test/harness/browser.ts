import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_INSTALL = 'sudo apt-get install -y --no-install-recommends chromium';

/** Debian's Chromium, or null when it is not installed. */
export function chromiumPath(): string | null {
  return existsSync(CHROMIUM) ? CHROMIUM : null;
}

// The flags of ../shared/docs/engines.md: headless, and nothing that reaches for the network.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium headless with a fresh profile; `jsFlags` become `--js-flags=...`. */
export function launchChromium(options: { jsFlags?: string[] } = {}): Promise<Browser> {
  const args = [...ARGS];
  if (options.jsFlags?.length) args.push(`--js-flags=${options.jsFlags.join(' ')}`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}
