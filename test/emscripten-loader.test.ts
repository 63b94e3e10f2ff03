/**
 * `weft/emscripten` end to end on Debian emcc output: one call returns the ready Emscripten module
 * of the build the engine should run, its glue taken from that build's own bundle. weft runs on
 * another origin than the page. An isolated Chromium page runs the pthreads build on 4 pthreads,
 * a page that is not isolated the SIMD build, Node 20 the pthreads build on worker threads; a
 * bundle whose glue was altered in the store is never run.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { loadEmscripten } from '../src/emscripten/index.js';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import type { RemoteModule } from '../src/sdk/load.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;

interface App {
  _count_primes(n: number): number;
  _work_off_main(): number;
  _build_kind(): number;
  PThread?: { terminateAllThreads(): void };
}

/** A fresh store with the emcc app's three builds published as bundles by one `weft publish`, served. */
async function serveApp(builds: string): Promise<{ server: RunningServer; store: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-emloader-'));
  const store = join(dir, 'store');
  cpSync(join(builds, 'app'), join(dir, 'app'), { recursive: true });
  await run(process.execPath, [CLI, 'publish', join(dir, 'app'), '--store', store]);
  // The same source with -sEXPORT_ES6 glue (app.mjs), as a module of its own.
  cpSync(join(builds, 'es6'), join(dir, 'app-es6'), { recursive: true });
  await run(process.execPath, [CLI, 'publish', join(dir, 'app-es6'), '--store', store]);
  // The same ES6 glue ending in another export form, which only a lexer tells from a script.
  cpSync(join(builds, 'es6'), join(dir, 'app-es6-named'), { recursive: true });
  for (const v of ['pthreads', 'plain']) {
    const glue = join(dir, 'app-es6-named', v, 'app.mjs');
    writeFileSync(
      glue,
      readFileSync(glue, 'utf8').replace(
        'export default createApp;',
        'export { createApp as default, createApp };',
      ),
    );
  }
  await run(process.execPath, [CLI, 'publish', join(dir, 'app-es6-named'), '--store', store]);
  return { store, server: await startServer({ store: fsStore({ dir: store }), port: 0 }) };
}

describeWith('Debian Emscripten (emcc)', emccBuilds(), EMCC_INSTALL, (builds) => {
  let served: Awaited<ReturnType<typeof serveApp>>;
  afterEach(() => served?.server.close());

  it('on Node 20 returns the pthreads build ready, its primes counted on 4 pthreads off the main thread', async () => {
    served = await serveApp(builds);
    const { app, variant, threads } = await loadEmscripten<App>('app', { server: served.server.url });
    try {
      expect(variant.name).toBe('pthreads');
      expect(threads).toBe(true);
      expect(app._build_kind()).toBe(1);
      expect(app._count_primes(200_000)).toBe(17_984);
      expect(app._work_off_main()).toBe(200_000);
    } finally {
      app.PThread?.terminateAllThreads();
    }
  });

  it("on Node 20 composes the caller's moduleArgs with weft's: their print, locateFile and instantiateWasm are kept and wrapped", async () => {
    served = await serveApp(builds);
    const located: string[] = [];
    const given: unknown[] = [];
    const { app, module } = await loadEmscripten<App>('app', {
      server: served.server.url,
      moduleArgs: {
        print: () => {},
        locateFile: (path: string, prefix: string) => {
          located.push(path);
          return prefix + path;
        },
        instantiateWasm: (
          imports: WebAssembly.Imports,
          receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void,
          verified: WebAssembly.Module,
        ) => {
          given.push(verified);
          WebAssembly.instantiate(verified, imports).then((i) => receive(i, verified));
          return {};
        },
      },
    });
    try {
      expect(app._count_primes(200_000)).toBe(17_984);
      expect(app._work_off_main()).toBe(200_000);
      // Bundle files (app.wasm, app.worker.js) are answered by weft; nothing else was asked for.
      expect(located).toEqual([]);
      expect(given).toEqual([module]);
    } finally {
      app.PThread?.terminateAllThreads();
    }
  });

  it('on Node 20 falls back to the SIMD build when the pthreads wasm arrives altered, negotiated or from a cached manifest', async () => {
    served = await serveApp(builds);
    const manifest = (await (await fetch(`${served.server.url}/v1/modules/app`)).json()) as RemoteModule;
    const pthreads = manifest.variants.find((v) => v.name === 'pthreads')!;
    // Flips one byte of the pthreads wasm, whether asked for by its URL or negotiated.
    const tampering: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const isPthreads = String(input) === pthreads.url || res.headers.get('Wasm-Variant') === 'pthreads';
      if (!isPthreads || !(res.headers.get('content-type') ?? '').startsWith('application/wasm')) return res;
      const bytes = new Uint8Array(await res.arrayBuffer());
      bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0xff;
      return new Response(bytes, { status: res.status, headers: res.headers });
    };
    for (const given of [{}, { manifest }]) {
      const { app, variant, failed } = await loadEmscripten<App>('app', {
        server: served.server.url,
        fetch: tampering,
        ...given,
      });
      expect(variant.name).toBe('simd');
      expect(failed).toContainEqual({
        variant: 'pthreads',
        reason: expect.stringMatching(/integrity mismatch/),
      });
      expect(app._build_kind()).toBe(2);
      expect(app._count_primes(200_000)).toBe(17_984);
    }
  });

  it('never runs a bundle whose glue was altered in the store: the load fails naming the variant', async () => {
    served = await serveApp(builds);
    const files = join(served.store, 'files');
    const glue = readFileSync(join(builds, 'app', 'pthreads', 'app.js'));
    const key = readdirSync(files).find((k) => readFileSync(join(files, k)).equals(glue))!;
    writeFileSync(
      join(files, key),
      'globalThis.pwned = 1; module.exports = () => Promise.resolve({ pwned: true });',
    );
    await expect(loadEmscripten('app', { server: served.server.url })).rejects.toThrow(
      /variant pthreads.*(HTTP 503|integrity)/,
    );
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });
});

const both = (() => {
  const builds = emccBuilds();
  return builds && chromiumPath() ? builds : null;
})();

describeWith('Debian Emscripten and Chromium', both, `${EMCC_INSTALL}; ${CHROMIUM_INSTALL}`, (builds) => {
  let served: Awaited<ReturnType<typeof serveApp>>;
  let pages: PageServer;
  let browser: Browser;
  beforeAll(async () => {
    served = await serveApp(builds);
    browser = await launchChromium();
    // The page is on its own origin; weft (bundles, loader) on another.
    // A page whose CSP allows no eval (nor inline script without its nonce): classic glue cannot
    // run through `new Function` there, and is imported from its blob URL instead.
    const strict = `<meta http-equiv="Content-Security-Policy" content="script-src 'nonce-t' 'wasm-unsafe-eval' blob: ${served.server.url}">`;
    const page = (
      head: string,
    ) => `<!doctype html><meta charset="utf-8">${head}<script type="module" nonce="t">
          const violations = [];
          document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));
          window.violations = violations;
          window.outcome = (async () => {
            const { loadEmscripten } = await import('${served.server.url}/v1/emscripten.js');
            const query = new URLSearchParams(location.search);
            const module = query.get('module') ?? 'app';
            const exportName = query.get('exportName') ?? undefined;
            const { app, variant, threads } = await loadEmscripten(module, { server: '${served.server.url}', exportName });
            const primes = app._count_primes(200000);
            return { variant: variant.name, threads, kind: app._build_kind(), primes, offMain: app._work_off_main(), isolated: crossOriginIsolated };
          })().catch((e) => ({ error: String(e && e.stack || e) }));
        </script>`;
    pages = await startPageServer({
      '/app.html': { type: 'text/html', body: page('') },
      '/strict.html': { type: 'text/html', body: page(strict) },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await pages?.close();
    await served?.server.close();
  });

  /** What the pthreads build answers on an isolated page: its primes counted on 4 pthreads off the main thread. */
  const PTHREADS = {
    variant: 'pthreads',
    threads: true,
    kind: 1,
    primes: 17_984,
    offMain: 200_000,
    isolated: true,
  };
  const outcome = async (kind: 'isolated' | 'plain', module = 'app', exportName = '', html = 'app') => {
    const page = await browser.newPage();
    try {
      await page.goto(
        `${pages.origin}/${kind}/${html}.html?module=${module}${exportName && `&exportName=${exportName}`}`,
      );
      return await page.evaluate(
        () => (window as unknown as { outcome: Promise<Record<string, unknown>> }).outcome,
      );
    } finally {
      await page.close();
    }
  };

  it('runs the pthreads build on an isolated page, its work done on 4 pthreads off the main thread', async () => {
    expect(await outcome('isolated')).toEqual(PTHREADS);
  });

  it('runs the pthreads build on an isolated page whose CSP forbids eval: its classic glue is imported instead', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${pages.origin}/isolated/strict.html?module=app`);
      const got = await page.evaluate(async () => {
        const w = window as unknown as { outcome: Promise<Record<string, unknown>>; violations: string[] };
        return { ...(await w.outcome), violations: w.violations };
      });
      // The refused `new Function`: the fallback was the path taken.
      expect(got).toEqual({ ...PTHREADS, violations: [expect.stringMatching(/^script-src eval$/)] });
    } finally {
      await page.close();
    }
  });

  it('runs the SIMD build on a page that is not isolated, with the right answer', async () => {
    expect(await outcome('plain')).toEqual({
      variant: 'simd',
      threads: false,
      kind: 2,
      primes: 17_984,
      offMain: 0,
      isolated: false,
    });
  });

  it('runs the -sEXPORT_ES6 pthreads build on an isolated page the same way (app.mjs, resolving its files in the bundle)', async () => {
    expect(await outcome('isolated', 'app-es6')).toEqual(PTHREADS);
  });

  it.each(['', 'createApp'])(
    'runs ES6 glue that ends in `export { createApp as default, createApp }` (exportName %j): no duplicate default export',
    async (exportName) => {
      expect(await outcome('isolated', 'app-es6-named', exportName)).toEqual(PTHREADS);
    },
  );
});
