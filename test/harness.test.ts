import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { engine, runScript } from './harness/engines.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

describeWith('Chromium', chromiumPath(), CHROMIUM_INSTALL, () => {
  let pages: PageServer;
  beforeAll(async () => {
    pages = await startPageServer({
      '/index.html': { type: 'text/html', body: '<!doctype html><title>t</title>' },
    });
  });
  afterAll(() => pages.close());

  it('sees crossOriginIsolated true on the COOP/COEP page and false on the plain one', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${pages.origin}/isolated/index.html`);
      const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
      await page.goto(`${pages.origin}/plain/index.html`);
      const plain = await page.evaluate(() => globalThis.crossOriginIsolated);
      expect({ isolated, plain }).toEqual({ isolated: true, plain: false });
    } finally {
      await browser.close();
    }
  });
});

const node26 = engine('node26');
describeWith('Node 26', node26.bin, node26.install, () => {
  // A shared struct type (threading-models.md section 3): V8 14.6 validates it only under the flag.
  const script = `
    const bytes = new Uint8Array([0,0x61,0x73,0x6d,1,0,0,0,1,6,1,0x65,0x5f,1,0x7f,1]);
    console.log(JSON.stringify({ node: process.versions.node, sharedStruct: WebAssembly.validate(bytes) }));`;
  let file: string;
  beforeAll(async () => {
    file = join(await mkdtemp(join(tmpdir(), 'weft-engine-')), 'probe.mjs');
    await writeFile(file, script);
  });

  it('runs a script under Node 26 and returns its JSON, with and without --experimental-wasm-shared', async () => {
    const flagged = await runScript('node26', file, { flags: ['--experimental-wasm-shared'] });
    const plain = await runScript('node26', file);
    expect(flagged).toEqual({ node: expect.stringMatching(/^26\./), sharedStruct: true });
    expect(plain).toEqual({ node: expect.stringMatching(/^26\./), sharedStruct: false });
  });
});
