/**
 * onnxruntime-web 1.30 through `weft/onnxruntime`: ORT's wasm build published in weft (optional
 * threads), ORT's own library (`ort.wasm.min.mjs`) served from a page on another origin, and
 * `ortWasm('ort', { server, env: ort.env })` handing ORT blob URLs of the bytes weft verified.
 * A hand-encoded ONNX model runs in a real InferenceSession in Chromium and Firefox: on 4 threads
 * on an isolated page (3 pthread workers started), with weft on another origin and mounted on the
 * page's own (`weftHandler({ mount: '/wasm' })`), and on 1 where the page is not isolated.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BrowserEngine, describeBrowsers, pageOutcome, type TestBrowser } from './harness/browsers.js';
import { REAL_BUILDS_INSTALL, realBuild } from './harness/builds.js';
import { type LibStage, libStage, sameOriginSite, weftBundle } from './harness/libs.js';
import { binaryOpModel } from './harness/onnx.js';
import { describeWith } from './harness/require.js';

const SPEC = 'onnxruntime-web@1.30.0';
const files = (() => {
  const wasm = realBuild(SPEC, 'dist/ort-wasm-simd-threaded.wasm');
  const mjs = realBuild(SPEC, 'dist/ort-wasm-simd-threaded.mjs');
  const lib = realBuild(SPEC, 'dist/ort.wasm.min.mjs');
  return wasm && mjs && lib ? { wasm, mjs, lib } : null;
})();

/** Counts the workers the page starts (ORT's pthreads are `em-pthread`), then runs y = a + b. */
const page = (server: string) => `<!doctype html><meta charset="utf-8"><script type="module">
  const started = [];
  const Native = Worker;
  window.Worker = class extends Native {
    constructor(url, opts) { super(url, opts); started.push(opts && opts.name || ''); }
  };
  window.outcome = (async () => {
    const ort = await import('./ort/ort.wasm.min.mjs');
    const { ortWasm } = await import('./weft-onnxruntime.js');
    const got = await ortWasm('ort', { server: '${server}', env: ort.env });
    const session = await ort.InferenceSession.create(new Uint8Array(${JSON.stringify([...binaryOpModel('Add', 4)])}));
    const a = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [4]);
    const b = new ort.Tensor('float32', Float32Array.from([10, 20, 30, 40.5]), [4]);
    const { y } = await session.run({ a, b });
    const wasmDownloads = performance.getEntriesByType('resource')
      .filter((e) => e.name.startsWith('${server}') && /[/.]wasm([?]|$)/.test(e.name)).length;
    return {
      isolated: crossOriginIsolated, variant: got.variant.name, threads: got.threads,
      numThreads: ort.env.wasm.numThreads, y: Array.from(y.data), dims: y.dims,
      pthreads: started.filter((n) => n === 'em-pthread').length, otherWorkers: started.filter((n) => n !== 'em-pthread'),
      blobs: [got.wasmPaths.mjs, got.wasmPaths.wasm].every((u) => u.startsWith('blob:' + location.origin)),
      wasmDownloads,
    };
  })().catch((e) => ({ error: String(e && e.stack || e) }));
</script>`;

const run = pageOutcome;

describeWith(`${SPEC} (ORT's wasm build and its own library)`, files, REAL_BUILDS_INSTALL, (f) => {
  let stage: LibStage;
  let site: Awaited<ReturnType<typeof sameOriginSite>>;
  beforeAll(async () => {
    const pages = (server: string) => ({
      '/ort.html': { type: 'text/html', body: page(server) },
      '/ort/ort.wasm.min.mjs': { type: 'text/javascript', body: readFileSync(f.lib) },
      '/weft-onnxruntime.js': weftBundle('onnxruntime'),
    });
    stage = await libStage({
      module: 'ort',
      build: { '': [f.wasm, f.mjs] },
      publishArgs: ['--threads', 'optional'],
      pages,
    });
    // The same pages on a site with weft mounted at /wasm on its own origin.
    site = await sameOriginSite(stage.store, pages);
  });
  afterAll(async () => {
    await site?.close();
    await stage?.close();
  });

  it('publishes the one build ORT wasm bundles import, its threads optional', () => {
    expect(stage.printed).toMatch(/ort\/ort-wasm-simd-threaded: sab \(threads optional\)/);
  });

  describeBrowsers('in each browser', (engine: BrowserEngine) => {
    let browser: TestBrowser;
    beforeAll(async () => {
      browser = await engine.launch();
    }, 30_000);
    afterAll(() => browser?.close());

    it('runs the model on 4 threads on an isolated page (3 pthread workers), with verified bytes', async () => {
      expect(await run(browser, `${stage.pages.origin}/isolated/ort.html`)).toEqual({
        isolated: true,
        variant: 'ort-wasm-simd-threaded',
        threads: true,
        numThreads: 4,
        y: [11, 22, 33, 44.5],
        dims: [4],
        pthreads: 3,
        otherWorkers: [],
        blobs: true,
        wasmDownloads: 1,
      });
    }, 60_000);

    it("runs it on 4 threads with weft mounted on the isolated page's own origin", async () => {
      expect(await run(browser, `${site.origin}/isolated/ort.html`)).toMatchObject({
        isolated: true,
        threads: true,
        numThreads: 4,
        y: [11, 22, 33, 44.5],
        pthreads: 3,
        blobs: true,
        wasmDownloads: 1,
      });
    }, 60_000);

    it('runs it on one thread where the page is not isolated (no worker started)', async () => {
      expect(await run(browser, `${stage.pages.origin}/plain/ort.html`)).toEqual({
        isolated: false,
        variant: 'ort-wasm-simd-threaded',
        threads: false,
        numThreads: 1,
        y: [11, 22, 33, 44.5],
        dims: [4],
        pthreads: 0,
        otherWorkers: [],
        blobs: true,
        wasmDownloads: 1,
      });
    }, 60_000);
  });
});
