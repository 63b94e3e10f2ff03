/**
 * The wasm-bindgen recipe on real wasm-bindgen packages as npm ships them, published whole with
 * `weft publish` and loaded from another origin through the SDK in Chromium and Firefox: the glue
 * taken from the bundle checked against its integrity, initialised with the verified module.
 * - `@resvg/resvg-wasm` 2.6.2 ships CommonJS (`index.js`), ES (`index.mjs`) and script glue for one
 *   wasm: the entry is the ES glue, and it renders an SVG to PNG.
 * - `@automerge/automerge-wasm` 0.17.0 ships four wasm-pack targets (web, bundler, nodejs, deno):
 *   the web target is published, and its document works in both browsers and on Node.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { fetchBundleFile, load } from '../src/sdk/index.js';
import { describeBrowsers, pageOutcome, type TestBrowser } from './harness/browsers.js';
import { REAL_BUILDS_INSTALL, realBuild } from './harness/builds.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const RESVG = '@resvg/resvg-wasm@2.6.2';
const AUTOMERGE = '@automerge/automerge-wasm@0.17.0';

const packages = (() => {
  const resvg = realBuild(RESVG, 'index_bg.wasm');
  const automerge = realBuild(AUTOMERGE, 'package.json');
  return resvg && automerge ? { resvg: dirname(resvg), automerge: dirname(automerge) } : null;
})();

/** The SDK's recipe: the verified module, and the bundle's entry imported from its checked bytes. */
const RECIPE = (server: string, module: string) => `
  const { load, fetchBundleFile } = await import('${server}/v1/sdk.js');
  const { module, variant } = await load('${module}', { server: '${server}', instantiate: false });
  const { bundle } = variant;
  const glue = await fetchBundleFile(bundle, bundle.entry);
  const exports = await import(URL.createObjectURL(new Blob([glue], { type: 'text/javascript' })));`;

const pageOf = (body: string) => `<!doctype html><meta charset="utf-8"><script type="module">
  window.outcome = (async () => {${body}
  })().catch((e) => ({ error: String(e && e.stack || e) }));
</script>`;

const resvgPage = (server: string) =>
  pageOf(`${RECIPE(server, 'resvg')}
    await exports.initWasm(module);
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect width="40" height="30" fill="#0a0"/></svg>';
    const image = new exports.Resvg(svg).render();
    const png = image.asPng();
    return { variant: variant.name, entry: bundle.entry, width: image.width, height: image.height, signature: Array.from(png.slice(1, 4)) };`);

/** An Automerge document: one key put, saved, loaded back. */
const AUTOMERGE_USE = `
    await exports.default(module);
    const doc = exports.create();
    doc.put('_root', 'engine', 'weft');
    const again = exports.load(doc.save());
    return { variant: variant.name, entry: bundle.entry, value: again.get('_root', 'engine') };`;

describeWith(`${RESVG} and ${AUTOMERGE}, whole`, packages, REAL_BUILDS_INSTALL, (pkg) => {
  let server: RunningServer;
  const printed: Record<string, string> = {};
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-bindgen-'));
    for (const [name, from] of Object.entries(pkg)) {
      // The package folder as npm unpacks it, every file of it.
      cpSync(from, join(dir, name), { recursive: true });
      printed[name] = (
        await run(process.execPath, [CLI, 'publish', join(dir, name), '--store', join(dir, 'store')])
      ).stdout;
    }
    server = await startServer({ store: fsStore({ dir: join(dir, 'store') }), port: 0 });
  });
  afterAll(() => server?.close());

  it('publishes resvg with the ES glue as its entry, saying why not the CommonJS one', () => {
    expect(printed.resvg).toMatch(
      /^ {2}index: index_bg\.wasm with 2 more file\(s\): index\.js, index\.mjs \(files named alike\)$/m,
    );
    expect(printed.resvg).toMatch(
      /^ {4}entry index\.mjs: wasm-bindgen web target: .*; not index\.js: wasm-bindgen glue as CommonJS/m,
    );
    expect(printed.resvg).toMatch(/toolchain: wasm-bindgen \(high confidence; threads: never\)/);
  });

  it("publishes automerge's web target, naming the bundler, nodejs and deno targets left out", () => {
    expect(printed.automerge).toMatch(/^automerge: 1 variant\(s\)$/m);
    expect(printed.automerge).toMatch(/^ {4}entry automerge_wasm\.js: wasm-bindgen web target/m);
    for (const target of ['bundler', 'nodejs', 'deno'])
      expect(printed.automerge).toMatch(new RegExp(`^ {4}${target}/: not published: `, 'm'));
  });

  describe('on Node', () => {
    it("the web target's glue works with the verified module (the nodejs target reads its wasm from disk)", async () => {
      const { module, variant } = await load('automerge', { server: server.url, instantiate: false });
      const bundle = variant.bundle!;
      const glue = Buffer.from(await fetchBundleFile(bundle, bundle.entry)).toString('base64');
      const exports = await import(`data:text/javascript;base64,${glue}`);
      await exports.default(module);
      const doc = exports.create();
      doc.put('_root', 'engine', 'weft');
      expect(exports.load(doc.save()).get('_root', 'engine')).toBe('weft');
    });
  });

  describeBrowsers('in the browser', (engine) => {
    let browser: TestBrowser;
    let pages: PageServer;
    beforeAll(async () => {
      browser = await engine.launch();
      pages = await startPageServer({
        '/resvg.html': { type: 'text/html', body: resvgPage(server.url) },
        '/automerge.html': {
          type: 'text/html',
          body: pageOf(`${RECIPE(server.url, 'automerge')}${AUTOMERGE_USE}`),
        },
      });
    });
    afterAll(async () => {
      await browser?.close();
      await pages?.close();
    });
    const outcomeOf = (path: string) => pageOutcome(browser, `${pages.origin}/plain/${path}`);

    it('resvg renders an SVG with the verified module and the ES glue from its own bundle', async () => {
      // "PNG" after the first signature byte.
      expect(await outcomeOf('resvg.html')).toEqual({
        variant: 'index',
        entry: 'index.mjs',
        width: 40,
        height: 30,
        signature: [80, 78, 71],
      });
    });

    it("automerge's web target runs a document with the verified module", async () => {
      expect(await outcomeOf('automerge.html')).toEqual({
        variant: 'web',
        entry: 'automerge_wasm.js',
        value: 'weft',
      });
    });
  });
});
