/**
 * weft in a user's app, from the packed tarball (build first): a scratch project installs it beside
 * hono 4.6.20 (not weft's own dev copy), Vite 7 and TypeScript 5.9, then typechecks a Hono site
 * mounting weft, bundles a page with Vite whose `loadEmscripten` runs Debian emcc's pthreads build
 * in Chromium against a weft server on another origin, bundles every browser entry with esbuild,
 * pins the demo with the installed `weft manifest` and inlines it as `weft:demo` through
 * `weft/plugin` (esbuild and Vite 7, offline), and deploys to Cloudflare with what `weft init worker` wrote (a dry run, and `wrangler dev` offline).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { freePort, ROOT, run, scratchProject, startUntil } from './harness/consumer.js';
import { startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const FILES: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2023', 'DOM'],
      types: [],
      strict: true,
      noEmit: true,
      // weft's declarations are checked too, against this project's hono and no @types/node.
      skipLibCheck: false,
    },
    include: ['src'],
  }),
  'src/site.ts': `import { Hono } from 'hono';
import { createApp } from 'weft/server';
import { memoryStore } from 'weft/stores/memory';

export const site = new Hono();
site.get('/', (c) => c.text('my site'));
site.route('/wasm', createApp({ store: memoryStore() }));
`,
  'src/worker.ts': `import { createWorker } from 'weft/worker';

export default createWorker({ bucket: 'MY_BUCKET', token: 'MY_TOKEN' });
`,
  'src/main.ts': `import { loadEmscripten } from 'weft/emscripten';

interface App {
  _count_primes(n: number): number;
  _work_off_main(): number;
}
const server = new URLSearchParams(location.search).get('server') ?? location.origin;
(window as unknown as { outcome: Promise<unknown> }).outcome = (async () => {
  const { app, variant, threads } = await loadEmscripten<App>('app', { server });
  return { variant: variant.name, threads, primes: app._count_primes(200000), offMain: app._work_off_main(), isolated: crossOriginIsolated };
})().catch((e: unknown) => ({ error: String((e as Error)?.stack ?? e) }));
`,
  // A module's pinned manifest as weft/plugin inlines it: typed by the declaration weft/plugin ships.
  'src/pinned.ts': `/// <reference types="weft/plugin" />
import app from 'weft:app';
import { loadEmscripten } from 'weft/emscripten';
import { load, type PinnedManifest } from 'weft/sdk';

export const pinned: PinnedManifest = app;
export const loading = () => Promise.all([load(app, { instantiate: false }), loadEmscripten(app)]);
`,
  // The esbuild plugin where esbuild takes it, checked against its own types (Vite's need
  // @types/node, which this project has not; the repository's tsc checks weftVite against Vite 8's).
  'src/bundlers.ts': `import * as esbuild from 'esbuild';
import { weftEsbuild } from 'weft/plugin';

export const bundle = () =>
  esbuild.build({ entryPoints: ['src/pinned.ts'], bundle: true, write: false, plugins: [weftEsbuild({ manifests: ['app.weft.json'] })] });
`,
  // Both bundlers, offline, from the file the installed `weft manifest` wrote: what weft:demo became.
  'plugin-check.mjs': `import { rmSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { build } from 'vite';
import { weftEsbuild, weftVite } from 'weft/plugin';
const source = "import demo from 'weft:demo'; console.log(demo.variants.map((v) => v.url).join(' '));\\n";
const manifests = ['demo.weft.json'];
const byEsbuild = await esbuild.build({
  stdin: { contents: source, resolveDir: '.', loader: 'js' }, bundle: true, write: false, logLevel: 'silent',
  plugins: [weftEsbuild({ manifests })],
});
writeFileSync('plugin-entry.js', source);
const byVite = await build({
  configFile: false, logLevel: 'silent', plugins: [weftVite({ manifests })],
  build: { write: false, lib: { entry: 'plugin-entry.js', formats: ['es'], fileName: 'entry' }, minify: false },
});
rmSync('plugin-entry.js');
console.log(JSON.stringify({ esbuild: byEsbuild.outputFiles[0].text, vite: byVite[0].output[0].code }));
`,
  'index.html': `<!doctype html><meta charset="utf-8"><title>weft consumer</title><script type="module" src="./src/main.ts"></script>\n`,
  // The site run as it is installed: this project's hono, weft's default client scripts.
  'serve-check.mjs': `import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { Hono } from 'hono';
import { weftHandler } from 'weft/node';
import { createApp } from 'weft/server';
import { memoryStore } from 'weft/stores/memory';
const PATHS = ['/wasm/v1/sdk.js', '/wasm/v1/probe.js', '/wasm/v1/emscripten.js', '/wasm/v1/modules', '/wasm'];
const answers = async (get) => {
  const out = {};
  for (const path of PATHS) {
    const res = await get(path);
    out[path] = { status: res.status, coop: res.headers.get('cross-origin-opener-policy') };
  }
  return out;
};
const site = new Hono().route('/wasm', createApp({ store: memoryStore() }));
const weft = weftHandler({ mount: '/wasm', store: memoryStore() });
const server = createServer((req, res) => weft(req, res)).listen(0, '127.0.0.1');
await new Promise((done) => server.once('listening', done));
const origin = 'http://127.0.0.1:' + server.address().port;
const out = {
  route: await answers((path) => site.request(path)),
  handler: await answers((path) => fetch(origin + path)),
  hono: JSON.parse(await readFile('node_modules/hono/package.json', 'utf8')).version,
};
server.close();
console.log(JSON.stringify(out));
`,
};

/** A module import of a Node builtin, static or dynamic, in bundled output (not a string naming one). */
const NODE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'`]node:/;

// Quiet and offline: no Cloudflare fetches or metrics; wrangler's state in the scratch project.
const wranglerEnv = (dir: string) => ({
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  XDG_CONFIG_HOME: join(dir, '.wrangler-config'),
  CI: 'true',
});
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');

describe('weft installed from its tarball in a user project', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await scratchProject();
    for (const [file, text] of Object.entries(FILES)) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    // The first run installs the project's dependencies into the cache: minutes on a shared machine.
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('typechecks a Hono site mounting createApp at /wasm, a page, a Worker, and an app importing weft:app through weft/plugin with tsc (hono 4.6.20, weft declarations checked)', async () => {
    await run(join(dir, 'node_modules/.bin/tsc'), ['-p', '.'], dir);
  }, 180_000);

  it('run with hono 4.6.20, weft mounted at /wasm (site.route and weftHandler) serves its client scripts and an isolated page', async () => {
    const { stdout } = await run(process.execPath, ['serve-check.mjs'], dir);
    const mounted = {
      '/wasm/v1/sdk.js': { status: 200, coop: null },
      '/wasm/v1/probe.js': { status: 200, coop: null },
      '/wasm/v1/emscripten.js': { status: 200, coop: null },
      '/wasm/v1/modules': { status: 200, coop: null },
      '/wasm': { status: 200, coop: 'same-origin' },
    };
    expect(JSON.parse(stdout)).toEqual({ route: mounted, handler: mounted, hono: '4.6.20' });
  });

  it('builds a page importing loadEmscripten with Vite, its output free of node: imports', async () => {
    const { stdout, stderr } = await run(join(dir, 'node_modules/.bin/vite'), ['build', '--base', './'], dir);
    // Vite stubs a Node builtin it meets in a browser build, with this warning.
    expect(`${stdout}${stderr}`).not.toMatch(/externalized for browser compatibility/);
    const assets = readdirSync(join(dir, 'dist', 'assets'));
    const code = assets.map((f) => readFileSync(join(dir, 'dist', 'assets', f), 'utf8'));
    expect(code.some((c) => c.includes('__vite-browser-external'))).toBe(false);
    expect(code.filter((c) => NODE_IMPORT.test(c))).toEqual([]);
    // The SDK's polyfills are in the bundle (a lazy chunk), not fetched from the weft server.
    expect(assets.some((f) => f.startsWith('polyfill'))).toBe(true);
    expect(code.join('\n')).not.toContain('/v1/polyfills.js');
  }, 120_000);

  it.each(['weft/sdk', 'weft/detect', 'weft/emscripten', 'weft/polyfill'])(
    'bundles %s with esbuild --bundle --platform=browser, no node: import in the output',
    async (entry) => {
      const out = await esbuild.build({
        stdin: { contents: `export * from '${entry}';`, resolveDir: dir, loader: 'js' },
        absWorkingDir: dir,
        bundle: true,
        platform: 'browser',
        format: 'esm',
        splitting: true,
        outdir: join(dir, 'esbuild-out', entry),
        write: false,
        logLevel: 'silent',
      });
      expect(out.errors).toEqual([]);
      expect(out.outputFiles.filter((f) => NODE_IMPORT.test(f.text)).map((f) => f.path)).toEqual([]);
    },
  );

  it('the installed `weft manifest` pins the demo, and weft/plugin inlines it as weft:demo with esbuild and Vite 7, offline', async () => {
    const server = await startServer({
      storeDir: mkdtempSync(join(tmpdir(), 'weft-consumer-demo-')),
      port: 0,
    });
    try {
      await run(
        join(dir, 'node_modules/.bin/weft'),
        ['manifest', 'demo', '--server', server.url, '--out', 'demo.weft.json'],
        dir,
      );
    } finally {
      await server.close();
    }
    const pinned = JSON.parse(readFileSync(join(dir, 'demo.weft.json'), 'utf8')) as {
      variants: { url: string }[];
    };
    expect(pinned.variants).toHaveLength(4);
    // The server is gone: both bundles come from the file alone.
    const { stdout } = await run(process.execPath, ['plugin-check.mjs'], dir);
    const out = JSON.parse(stdout) as { esbuild: string; vite: string };
    for (const v of pinned.variants) {
      expect(out.esbuild).toContain(JSON.stringify(v.url));
      expect(out.vite).toContain(JSON.stringify(v.url));
    }
  }, 120_000);

  it('`weft --version` from the installed bin prints the package version', async () => {
    const { stdout } = await run(join(dir, 'node_modules/.bin/weft'), ['--version'], dir);
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('`weft init worker --bucket my-bucket` writes a Worker that wrangler 4.86 deploys (dry run) and serves offline: the client scripts, and a build published to it over HTTP', async () => {
    await run(join(dir, 'node_modules/.bin/weft'), ['init', 'worker', '--bucket', 'my-bucket'], dir);
    const toml = readFileSync(join(dir, 'wrangler.toml'), 'utf8');
    expect(toml).toMatch(/^bucket_name = "my-bucket"$/m);
    expect(toml).toMatch(/^directory = "node_modules\/weft\/dist\/browser"$/m);
    const env = wranglerEnv(dir);
    const outdir = join(dir, 'deploy-out');
    const dry = await run(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir], dir, env);
    expect(dry.stdout).toMatch(/env\.WEFT_BUCKET \(my-bucket\)\s+R2 Bucket/);
    expect(NODE_IMPORT.test(readFileSync(join(outdir, 'worker.js'), 'utf8'))).toBe(false);

    const [port, inspector] = [await freePort(), await freePort()];
    const dev = await startUntil(
      WRANGLER,
      // The publish token as a var, as `wrangler secret put` gives it on a real account.
      [
        'dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--inspector-port',
        String(inspector),
        '--var',
        'WEFT_PUBLISH_TOKEN:consumer-secret',
      ],
      dir,
      env,
      /Ready on http/,
      120_000,
    );
    try {
      const sdk = await fetch(`http://127.0.0.1:${port}/v1/sdk.js`);
      expect(sdk.status).toBe(200);
      expect(sdk.headers.get('access-control-allow-origin')).toBe('*');
      expect(await sdk.text()).toMatch(/export\s*\{/);
      expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ status: 'ok' });
      // The package's own demo, published whole over HTTP by the installed CLI, served back from
      // its bundle: the glue of each build exactly as published.
      const server = `http://127.0.0.1:${port}`;
      await run(
        join(dir, 'node_modules/.bin/weft'),
        ['publish', 'node_modules/weft/fixtures/demo', '--server', server, '--json'],
        dir,
        { WEFT_PUBLISH_TOKEN: 'consumer-secret' },
      );
      const demo = (await (await fetch(`${server}/v1/modules/demo`)).json()) as {
        variants: { name: string; bundle?: { base: string; entry: string; files: { path: string }[] } }[];
      };
      const sab = demo.variants.find((v) => v.name === 'sab')?.bundle;
      expect(sab?.files.map((f) => f.path)).toEqual(expect.arrayContaining([sab!.entry]));
      const entry = await fetch(new URL(sab!.base + sab!.entry, server));
      expect(entry.status).toBe(200);
      expect(await entry.text()).toBe(
        readFileSync(join(dir, 'node_modules/weft/fixtures/demo', sab!.entry), 'utf8'),
      );
    } finally {
      await dev.stop();
    }
  }, 240_000);

  const both = (() => {
    const builds = emccBuilds();
    return builds && chromiumPath() ? builds : null;
  })();
  describeWith('Debian Emscripten and Chromium', both, `${EMCC_INSTALL}; ${CHROMIUM_INSTALL}`, (builds) => {
    it("the Vite-built page's loadEmscripten runs emcc's pthreads build off the main thread (isolated page, weft on another origin)", async () => {
      // Built by the previous test if it ran; built here otherwise.
      if (!readdirSync(dir).includes('dist'))
        await run(join(dir, 'node_modules/.bin/vite'), ['build', '--base', './'], dir);
      const work = mkdtempSync(join(tmpdir(), 'weft-consumer-store-'));
      cpSync(join(builds, 'app'), join(work, 'app'), { recursive: true });
      await promisify(execFile)(process.execPath, [
        join(ROOT, 'dist/cli.js'),
        'publish',
        join(work, 'app'),
        '--store',
        join(work, 'store'),
      ]);
      const server = await startServer({ store: fsStore({ dir: join(work, 'store') }), port: 0 });
      const built = join(dir, 'dist');
      const pages = await startPageServer({
        '/index.html': { type: 'text/html', body: readFileSync(join(built, 'index.html')) },
        ...Object.fromEntries(
          readdirSync(join(built, 'assets')).map((f) => [
            `/assets/${f}`,
            { type: 'text/javascript', body: readFileSync(join(built, 'assets', f)) },
          ]),
        ),
      }).catch(async (err: unknown) => {
        await server.close();
        throw err;
      });
      let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
      try {
        browser = await launchChromium();
        const page = await browser.newPage();
        await page.goto(`${pages.origin}/isolated/index.html?server=${encodeURIComponent(server.url)}`);
        const outcome = await page.evaluate(
          () => (window as unknown as { outcome: Promise<Record<string, unknown>> }).outcome,
        );
        expect(outcome).toEqual({
          variant: 'pthreads',
          threads: true,
          primes: 17_984,
          offMain: 200_000,
          isolated: true,
        });
      } finally {
        await browser?.close();
        await pages.close();
        await server.close();
        rmSync(work, { recursive: true, force: true });
      }
    }, 120_000);
  });
});
