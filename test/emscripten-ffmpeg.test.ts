/**
 * ffmpeg.wasm's cores (`@ffmpeg/core-mt` and `@ffmpeg/core` 0.12.10) published whole with one
 * `weft publish` (a folder per build) and loaded by `loadEmscripten` from another origin, in
 * Chromium and Firefox. Their glue replaces `Module.locateFile` with its own, which reads the wasm
 * and worker URLs from base64 JSON after the last `#` of `mainScriptUrlOrBlob`: the documented
 * composition hook (`moduleArgs` as a function of weft's fields) builds that from weft's own
 * verified URLs. One real call proves each core runs: `-version`, and a WAV transcoded through its FS.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { describeBrowsers, type TestBrowser } from './harness/browsers.js';
import { REAL_BUILDS_INSTALL, realBuild } from './harness/builds.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const MT = realBuild('@ffmpeg/core-mt@0.12.10', 'dist/esm/ffmpeg-core.js');
const ST = realBuild('@ffmpeg/core@0.12.10', 'dist/esm/ffmpeg-core.js');
const BOTH = MT && ST ? { mt: dirname(MT), st: dirname(ST) } : null;

/** `ffmpeg/mt` and `ffmpeg/st`, each the package's dist/esm as shipped, published by one command. */
async function serveFfmpeg(dirs: { mt: string; st: string }): Promise<RunningServer> {
  const root = mkdtempSync(join(tmpdir(), 'weft-ffmpeg-'));
  for (const [name, from] of Object.entries(dirs)) {
    mkdirSync(join(root, 'ffmpeg', name), { recursive: true });
    cpSync(from, join(root, 'ffmpeg', name), { recursive: true });
  }
  await run(process.execPath, [CLI, 'publish', join(root, 'ffmpeg'), '--store', join(root, 'store')]);
  return startServer({ store: fsStore({ dir: join(root, 'store') }), port: 0 });
}

// The recipe of docs/guides/emscripten-pthreads.md ("ffmpeg.wasm"), then one second of a 440 Hz
// tone as 16-bit 8 kHz WAV, resampled to 4 kHz by ffmpeg through its FS. The mt core blocks on
// Atomics.wait, which a page's main thread may not do: like ffmpeg.wasm itself, the page runs it in
// a worker (`?in=worker`); the st core runs on the main thread.
const job = (server: string) => `
  function wav(rate, seconds) {
    const n = rate * seconds, b = new DataView(new ArrayBuffer(44 + 2 * n));
    const s = (o, t) => [...t].forEach((c, i) => b.setUint8(o + i, c.charCodeAt(0)));
    s(0, 'RIFF'); b.setUint32(4, 36 + 2 * n, true); s(8, 'WAVEfmt '); b.setUint32(16, 16, true);
    b.setUint16(20, 1, true); b.setUint16(22, 1, true); b.setUint32(24, rate, true);
    b.setUint32(28, 2 * rate, true); b.setUint16(32, 2, true); b.setUint16(34, 16, true);
    s(36, 'data'); b.setUint32(40, 2 * n, true);
    for (let i = 0; i < n; i++) b.setInt16(44 + 2 * i, Math.round(8000 * Math.sin(2 * Math.PI * 440 * i / rate)), true);
    return new Uint8Array(b.buffer);
  }
  const step = (s) => typeof window === 'undefined' && postMessage({ step: s });
  export const run = () => (async () => {
    step('start');
    const { loadEmscripten } = await import('${server}/v1/emscripten.js');
    step('imported');
    const { app, variant, threads } = await loadEmscripten('ffmpeg', {
      server: '${server}', timeout: 40000,
      moduleArgs: (weft) => ({
        ...weft,
        mainScriptUrlOrBlob: weft.mainScriptUrlOrBlob + '#' + btoa(JSON.stringify({
          wasmURL: weft.locateFile('ffmpeg-core.wasm'),
          workerURL: weft.locateFile('ffmpeg-core.worker.js'),
        })),
      }),
    });
    step('loaded');
    const log = [];
    app.setLogger(({ message }) => log.push(message));
    const version = app.exec('-version');
    step('version');
    app.reset();
    app.FS.writeFile('in.wav', wav(8000, 1));
    const transcode = app.exec('-i', 'in.wav', '-ar', '4000', 'out.wav');
    const out = app.FS.readFile('out.wav');
    const rate = new DataView(out.buffer, out.byteOffset).getUint32(24, true);
    return { variant: variant.name, threads, version, said: log.some((l) => /^ffmpeg version/.test(l)), transcode, rate, bytes: out.length > 8000 };
  })().catch((e) => ({ error: String(e && e.stack || e) }));
  if (typeof window === 'undefined') run().then((r) => postMessage(r));
`;

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
  const inWorker = new URLSearchParams(location.search).get('in') === 'worker';
  const steps = [];
  const late = new Promise((resolve) => setTimeout(() => resolve({ error: 'no answer in 45 s', steps }), 45000));
  window.outcome = Promise.race([late, inWorker
    ? new Promise((resolve) => {
        const w = new Worker('job.js', { type: 'module' });
        w.onmessage = (e) => (e.data.step ? steps.push(e.data.step) : resolve(e.data));
        w.onerror = (e) => resolve({ error: 'job worker: ' + e.message, steps });
      })
    : import('./job.js').then((m) => m.run())]);
</script>`;

describeWith('ffmpeg.wasm cores 0.12.10 (real builds)', BOTH, REAL_BUILDS_INSTALL, (dirs) => {
  let server: RunningServer;
  let pages: PageServer;
  beforeAll(async () => {
    server = await serveFfmpeg(dirs);
    pages = await startPageServer({
      '/ffmpeg.html': { type: 'text/html', body: PAGE },
      '/job.js': { type: 'text/javascript', body: job(server.url) },
    });
  }, 60_000);
  afterAll(async () => {
    await pages?.close();
    await server?.close();
  });

  describeBrowsers('loadEmscripten with the composition hook, from another origin', (engine) => {
    let browser: TestBrowser;
    beforeAll(async () => {
      browser = await engine.launch();
    });
    afterAll(() => browser?.close());

    // Chromium forbids Atomics.wait on a page's main thread, which the mt core does: there it runs
    // in a module worker, as ffmpeg.wasm does. Firefox allows it, and there the mt core started in
    // a module worker never finishes loading (its nested pthread workers do not start while the
    // core's thread blocks; no timer of that worker fires either): it runs on the main thread.
    const mtIn = engine.name === 'chromium' ? 'worker' : 'main';
    it.each([
      ['isolated', mtIn, 'mt', true],
      ['plain', 'main', 'st', false],
    ] as const)(
      'on a %s page (%s thread) runs the %s core: -version, and a WAV resampled through its FS',
      async (kind, where, variant, threads) => {
        const p = await browser.newPage();
        try {
          await p.goto(`${pages.origin}/${kind}/ffmpeg.html?in=${where}`);
          expect(
            await p.evaluate(() => (window as unknown as { outcome: Promise<unknown> }).outcome),
          ).toEqual({
            variant,
            threads,
            version: 0,
            said: true,
            transcode: 0,
            rate: 4000,
            bytes: true,
          });
        } finally {
          await p.close();
        }
      },
    );
  });
});
