/**
 * The wasm-bindgen recipe on a real wasm-bindgen build (resvg 2.6.2 as published on npm): its
 * package folder published as one bundle, loaded in Chromium from another origin through the SDK,
 * its glue taken from the bundle checked against its integrity, and initialised with the verified
 * module (`initWasm(module)`, wasm-bindgen's `init({ module_or_path })`): it renders an SVG to PNG.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { REAL_BUILDS_INSTALL, realBuild } from './harness/builds.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const SPEC = '@resvg/resvg-wasm@2.6.2';

const files = (() => {
  const wasm = realBuild(SPEC, 'index_bg.wasm');
  const glue = realBuild(SPEC, 'index.mjs');
  return wasm && glue && chromiumPath() ? { wasm, glue } : null;
})();

describeWith(
  `${SPEC} and Chromium`,
  files,
  `${REAL_BUILDS_INSTALL}; ${CHROMIUM_INSTALL}`,
  ({ wasm, glue }) => {
    let server: RunningServer;
    let pages: PageServer;
    let browser: Browser;
    let printed: string;
    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'weft-bindgen-'));
      const pkg = join(dir, 'pkg');
      mkdirSync(pkg);
      copyFileSync(wasm, join(pkg, 'index_bg.wasm'));
      copyFileSync(glue, join(pkg, 'index.mjs'));
      printed = (
        await run(process.execPath, [CLI, 'publish', pkg, '--module', 'resvg', '--store', join(dir, 'store')])
      ).stdout;
      server = await startServer({ store: fsStore({ dir: join(dir, 'store') }), port: 0 });
      browser = await launchChromium();
      pages = await startPageServer({
        '/resvg.html': {
          type: 'text/html',
          body: `<!doctype html><meta charset="utf-8"><script type="module">
          window.outcome = (async () => {
            const { load, fetchBundleFile } = await import('${server.url}/v1/sdk.js');
            const { module, variant } = await load('resvg', { server: '${server.url}', instantiate: false });
            const { bundle } = variant;
            const glue = await fetchBundleFile(bundle, bundle.entry);
            const { initWasm, Resvg } = await import(URL.createObjectURL(new Blob([glue], { type: 'text/javascript' })));
            await initWasm(module);
            const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect width="40" height="30" fill="#0a0"/></svg>';
            const image = new Resvg(svg).render();
            const png = image.asPng();
            return { variant: variant.name, entry: bundle.entry, width: image.width, height: image.height, signature: Array.from(png.slice(1, 4)) };
          })().catch((e) => ({ error: String(e && e.stack || e) }));
        </script>`,
        },
      });
    });
    afterAll(async () => {
      await browser?.close();
      await pages?.close();
      await server?.close();
    });

    it('publishes the pkg folder as one wasm-bindgen bundle, its glue found beside the wasm', () => {
      expect(printed).toMatch(
        /^ {2}index: index_bg\.wasm with 1 more file\(s\): index\.mjs \(files named alike\)$/m,
      );
      expect(printed).toMatch(/toolchain: wasm-bindgen \(high confidence; threads: never\)/);
    });

    it('renders an SVG in Chromium with the verified module and the glue from its own bundle', async () => {
      const page = await browser.newPage();
      await page.goto(`${pages.origin}/plain/resvg.html`);
      const outcome = await page.evaluate(() => (window as unknown as { outcome: Promise<unknown> }).outcome);
      await page.close();
      // "PNG" after the first signature byte.
      expect(outcome).toEqual({
        variant: 'index',
        entry: 'index.mjs',
        width: 40,
        height: 30,
        signature: [80, 78, 71],
      });
    });
  },
);
