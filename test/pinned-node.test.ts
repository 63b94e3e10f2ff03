/**
 * Pinned manifests on Node (build first: the CLI runs from dist/). `weft manifest` writes a module's
 * manifest pinned and checked; with it, `load(pinned)` and `loadEmscripten(pinned)` on Node 20 make
 * exactly the requests of the chosen build's files, counted where they arrive (the server), against
 * what a name costs; a pinned manifest whose bytes the server has since lost fails with a LoadError
 * that says it is stale.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { weftEsbuild } from '../src/plugin/index.js';
import type { PinnedManifest } from '../src/profile/pinned.js';
import { checkPinned, pinAnswer } from '../src/registry/pinned.js';
import { markChanged } from '../src/registry/records.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { load } from '../src/sdk/load.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { bundleScript } from './harness/bundle.js';
import { type CountedServer, countedServer, kinds } from './harness/counted.js';
import { engine, runScript } from './harness/engines.js';
import { describeWith } from './harness/require.js';

const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const exec = promisify(execFile);

/** `weft ARGS` from dist/, its exit code and output (never throws). */
async function weft(args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args]);
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout, err: err.stderr };
  }
}

// A user's Node loader: by name (negotiated) or by its pinned manifest (read as a bundler inlines it).
const LOADER = `
import { readFileSync } from 'node:fs';
import { load } from './src/sdk/index.ts';
const [server, pinnedFile] = process.argv.slice(2);
const app = pinnedFile ? JSON.parse(readFileSync(pinnedFile, 'utf8')) : 'demo';
try {
  const result = await load(app, { server: pinnedFile ? undefined : server, instantiate: false });
  console.log(JSON.stringify({ variant: result.variant.name, version: pinnedFile ? app.version : undefined }));
} catch (e) {
  console.log(JSON.stringify({ error: e.name + ': ' + e.message, stage: e.stage }));
}`;

const EM_LOADER = `
import { readFileSync } from 'node:fs';
import { loadEmscripten } from './src/emscripten/index.ts';
const [server, pinnedFile] = process.argv.slice(2);
const app = pinnedFile ? JSON.parse(readFileSync(pinnedFile, 'utf8')) : 'app';
try {
  const { app: em, variant, threads } = await loadEmscripten(app, { server: pinnedFile ? undefined : server });
  const primes = em._count_primes(200000);
  em.PThread?.terminateAllThreads();
  console.log(JSON.stringify({ variant: variant.name, threads, primes }));
} catch (e) {
  console.log(JSON.stringify({ error: e.name + ': ' + e.message, stage: e.stage }));
}
process.exit(0);`;

let dir: string;
let server: CountedServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-pinned-'));
  server = await countedServer(join(dir, 'store'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('weft manifest', () => {
  it('writes the demo module pinned: its version, every variant and bundle at a content-addressed absolute URL, checked; the same bytes each time', async () => {
    const file = join(dir, 'demo.weft.json');
    const got = await weft(['manifest', 'demo', '--server', server.url, '--out', file]);
    expect(got).toMatchObject({
      code: 0,
      out: `demo 1.0.0: 4 variant(s) (set, sab, wasi-threads, single) pinned in ${file}\n`,
    });
    const pinned = JSON.parse(readFileSync(file, 'utf8')) as PinnedManifest;
    expect(pinned).toMatchObject({ weft: 1, server: server.url, name: 'demo', version: '1.0.0' });
    for (const v of pinned.variants) {
      expect(v.url).toMatch(new RegExp(`^${server.url}/v1/blobs/sha256-[0-9a-f]{64}\\.wasm$`));
      expect(v.bundle?.base).toBe(`${server.url}/v1/bundles/${v.bundle?.id}/`);
    }
    await expect(checkPinned(pinned, 'demo.weft.json')).resolves.toEqual(pinned);
    // Without --out, the same bytes on stdout: a build that pins twice is reproducible.
    expect((await weft(['manifest', 'demo', '--server', server.url])).out).toBe(readFileSync(file, 'utf8'));
    server.take();
  });

  // What a server (or whatever answers in its place) might send instead of a module's manifest.
  const TAMPERED: [string, (m: PinnedManifest) => unknown, RegExp][] = [
    [
      'a negotiated URL, not a blob',
      (m) => {
        m.variants[0]!.url = new URL('../modules/demo/wasm', m.variants[0]!.url).href;
        return m;
      },
      /variants\[0\]\.url: must be the content-addressed blob URL of its integrity/,
    ],
    [
      'an integrity that is not the URL',
      (m) => {
        m.variants[1]!.integrity = m.variants[0]!.integrity;
        return m;
      },
      /variants\[1\]\.url: must be the content-addressed blob URL of its integrity/,
    ],
    [
      "a bundle file's hash changed",
      (m) => {
        m.variants[1]!.bundle!.files[1]!.integrity = m.variants[0]!.integrity;
        return m;
      },
      /variants\[1\]\.bundle\.id: must be the content address of its files/,
    ],
    ['another module', (m) => ({ ...m, name: 'other' }), /demo\.name: must be demo/],
    [
      'a relative URL',
      (m) => {
        m.variants[0]!.url = new URL(m.variants[0]!.url).pathname;
        return m;
      },
      /variants\[0\]\.url: must be an absolute http\(s\) URL/,
    ],
  ];

  it.each(TAMPERED)('refuses an answer with %s, writes nothing, exits 1', async (_what, change, message) => {
    const answer = (await (await fetch(`${server.url}/v1/modules/demo`)).json()) as PinnedManifest;
    const body = JSON.stringify(change(answer));
    const liar = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(body),
    );
    await new Promise<void>((done) => liar.listen(0, '127.0.0.1', done));
    const out = join(dir, 'refused.json');
    try {
      const at = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
      const got = await weft(['manifest', 'demo', '--server', at, '--out', out]);
      expect(got.code).toBe(1);
      expect(got.err).toMatch(/^weft manifest: the server's answer cannot be pinned: /);
      expect(got.err).toMatch(message);
      expect(existsSync(out)).toBe(false);
    } finally {
      liar.close();
      server.take();
    }
  });

  it('writes only the fields a loader reads, each checked: what else a server adds is left out', async () => {
    const answer = (await (await fetch(`${server.url}/v1/modules/demo`)).json()) as Record<string, unknown>;
    const variants = answer.variants as Record<string, unknown>[];
    const extra = {
      ...answer,
      order: ['sab'],
      later: true,
      variants: variants.map((v) => ({ ...v, later: 1 })),
    };
    const pinned = await pinAnswer(extra, 'demo', `${server.url}/`);
    expect(pinned.server).toBe(server.url);
    expect(Object.keys(pinned)).toEqual(['weft', 'server', 'name', 'version', 'variants']);
    expect(pinned.variants.map((v) => 'later' in v)).toEqual([false, false, false, false]);
    // The record's `blob` too: the URL names it already, and was checked against the integrity.
    expect(pinned.variants).toEqual(variants.map(({ blob: _b, ...v }) => v));
    server.take();
  });

  it('says what the server answered for a module it does not have (exit 1)', async () => {
    const got = await weft(['manifest', 'nope', '--server', server.url]);
    expect(got).toMatchObject({ code: 1, out: '' });
    expect(got.err).toBe(`weft manifest: ${server.url}/v1/modules/nope answered 404 (no such module)\n`);
    server.take();
  });
});

describe('weft/plugin offline, from pinned manifest files', () => {
  /** The `weft:demo` an esbuild bundle inlines, imported back. */
  async function bundled(options: Parameters<typeof weftEsbuild>[0], name = 'demo'): Promise<unknown> {
    const out = await esbuild.build({
      stdin: { contents: `export { default } from 'weft:${name}';`, resolveDir: dir, loader: 'js' },
      bundle: true,
      format: 'esm',
      write: false,
      plugins: [weftEsbuild(options)],
      logLevel: 'silent',
    });
    const file = join(dir, `bundled-${name}.mjs`);
    writeFileSync(file, out.outputFiles[0]!.text);
    return (await import(`${pathToFileURL(file).href}?${Math.random()}`)).default;
  }

  it('esbuild inlines the file written by weft manifest as weft:demo, with no server to ask', async () => {
    const file = join(dir, 'offline.weft.json');
    await weft(['manifest', 'demo', '--server', server.url, '--out', file]);
    expect(await bundled({ manifests: [file] })).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    server.take();
    // The server is not asked even when given: the file wins.
    await bundled({ manifests: [file], server: server.url });
    expect(server.take()).toEqual([]);
  });

  it("types every weft:* import as a PinnedManifest (src/plugin/modules.d.ts, shipped with weft/plugin's types)", () => {
    // Checked by tsc (npm run typecheck); a type query, erased at run time.
    expectTypeOf<typeof import('weft:demo').default>().toEqualTypeOf<PinnedManifest>();
  });

  it('fails the build naming the import it cannot pin, and a manifest file that was altered', async () => {
    await expect(bundled({}, 'nope')).rejects.toThrow(/no pinned manifest for 'weft:nope'/);
    const file = join(dir, 'altered.weft.json');
    await weft(['manifest', 'demo', '--server', server.url, '--out', file]);
    const pinned = JSON.parse(readFileSync(file, 'utf8')) as PinnedManifest;
    pinned.variants[0]!.integrity = pinned.variants[1]!.integrity;
    writeFileSync(file, JSON.stringify(pinned));
    await expect(bundled({ manifests: [file] })).rejects.toThrow(
      /variants\[0\]\.url: must be the content-addressed blob URL of its integrity/,
    );
    server.take();
  });
});

describe('load(pinned) refuses what is not a pinned manifest of this shape', () => {
  it.each([
    ['a manifest entry without the marker', { name: 'demo', version: '1', variants: [] }],
    [
      'a shape this weft does not know',
      { weft: 2, server: 'http://x.test', name: 'demo', version: '1', variants: [] },
    ],
  ])('%s: a LoadError, nothing fetched', async (_what, value) => {
    const asked: string[] = [];
    const counting = ((url: string) => {
      asked.push(url);
      return fetch(url);
    }) as typeof fetch;
    await expect(
      load(value as never, { fetch: counting, profile: { host: 'node', caps: [] } }),
    ).rejects.toThrow(/^weft: cannot load demo: not a pinned manifest \(weft manifest writes one\)$/);
    expect(asked).toEqual([]);
  });
});

const node20 = engine('node20');
describeWith('Node 20', node20.bin, node20.install, () => {
  it('load(pinned) asks nothing of the server but the chosen build: one request, its blob; by name, two (the manifest and /wasm)', async () => {
    const file = join(dir, 'demo.weft.json');
    await weft(['manifest', 'demo', '--server', server.url, '--out', file]);
    const pinned = JSON.parse(readFileSync(file, 'utf8')) as PinnedManifest;
    const script = await bundleScript(LOADER);
    server.take();
    const byPin = await runScript('node20', script, { args: [server.url, file] });
    const pinnedRequests = server.take();
    const byName = await runScript('node20', script, { args: [server.url] });
    const namedRequests = server.take();
    expect(byPin).toEqual({ variant: 'sab', version: '1.0.0' });
    expect(byName).toEqual({ variant: 'sab' });
    const sab = pinned.variants.find((v) => v.name === 'sab')!;
    expect(pinnedRequests).toEqual([`GET ${new URL(sab.url).pathname}`]);
    expect(kinds(namedRequests)).toEqual({ negotiation: 2 });
    console.log(
      `Node 20 load(): pinned ${pinnedRequests.length} request(s) ${JSON.stringify(kinds(pinnedRequests))}; by name ${namedRequests.length} ${JSON.stringify(kinds(namedRequests))}`,
    );
  });

  it('a pinned manifest whose blob the server has lost (collected, its version removed) fails with a LoadError that says it is stale', async () => {
    const store = join(dir, 'stale-store');
    const stale = await countedServer(store);
    try {
      const file = join(dir, 'stale.weft.json');
      await weft(['manifest', 'demo', '--server', stale.url, '--out', file]);
      const pinned = JSON.parse(readFileSync(file, 'utf8')) as PinnedManifest;
      // What a collection does to a blob: its record and its bytes gone from the store.
      for (const v of pinned.variants) {
        const blob = /sha256-[0-9a-f]{64}/.exec(v.url)![0];
        for (const f of readdirSync(join(store, 'blobs')))
          if (f.startsWith(`${blob}.`)) rmSync(join(store, 'blobs', f));
      }
      const out = (await runScript('node20', await bundleScript(LOADER), { args: [stale.url, file] })) as {
        error: string;
      };
      expect(out.error).toMatch(
        /^LoadError: weft: cannot load demo \(variant single\): every acceptable variant failed \(HTTP 404, the server no longer has these bytes: the manifest pinned at demo 1\.0\.0 is stale .*pin it again with weft manifest demo\)$/,
      );
    } finally {
      await stale.close();
    }
  });
});

const both = node20.bin ? emccBuilds() : null;
describeWith('Debian Emscripten (emcc) on Node 20', both, EMCC_INSTALL, (builds) => {
  it("loadEmscripten(pinned) fetches the chosen build's three files (wasm, glue, worker) and nothing else; by name, a negotiation more", async () => {
    const store = join(dir, 'em-store');
    cpSync(join(builds, 'app'), join(dir, 'app'), { recursive: true });
    await exec(process.execPath, [CLI, 'publish', join(dir, 'app'), '--store', store]);
    const em = await countedServer(store, { demo: false });
    try {
      const file = join(dir, 'app.weft.json');
      await weft(['manifest', 'app', '--server', em.url, '--out', file]);
      const pinned = JSON.parse(readFileSync(file, 'utf8')) as PinnedManifest;
      const script = await bundleScript(EM_LOADER);
      em.take();
      const byPin = await runScript('node20', script, { args: [em.url, file], timeoutMs: 60_000 });
      const pinnedRequests = em.take();
      const byName = await runScript('node20', script, { args: [em.url], timeoutMs: 60_000 });
      const namedRequests = em.take();
      expect(byPin).toEqual({ variant: 'pthreads', threads: true, primes: 17_984 });
      expect(byName).toEqual(byPin);
      const chosen = pinned.variants.find((v) => v.name === 'pthreads')!;
      const files = chosen
        .bundle!.files.filter((f) => f.role !== 'wasm')
        .map((f) => `GET ${new URL(chosen.bundle!.base + f.path).pathname}`);
      expect(pinnedRequests.sort()).toEqual([`GET ${new URL(chosen.url).pathname}`, ...files].sort());
      expect(kinds(pinnedRequests)).toEqual({ blob: 1, bundle: 2 });
      expect(kinds(namedRequests)).toEqual({ negotiation: 2, bundle: 2 });
      console.log(
        `Node 20 loadEmscripten(): pinned ${pinnedRequests.length} ${JSON.stringify(kinds(pinnedRequests))}; by name ${namedRequests.length} ${JSON.stringify(kinds(namedRequests))}`,
      );
    } finally {
      await em.close();
    }
  }, 120_000);

  it('a pinned manifest whose glue the server has lost fails loadEmscripten at stage glue, saying the server no longer has the bundle', async () => {
    const store = join(dir, 'em-stale-store');
    cpSync(join(builds, 'app'), join(dir, 'app-stale'), { recursive: true });
    await exec(process.execPath, [
      CLI,
      'publish',
      join(dir, 'app-stale'),
      '--module',
      'app',
      '--store',
      store,
    ]);
    const em = await countedServer(store, { demo: false });
    try {
      const file = join(dir, 'app-stale.weft.json');
      await weft(['manifest', 'app', '--server', em.url, '--out', file]);
      const pinned = JSON.parse(readFileSync(file, 'utf8')) as PinnedManifest;
      // Every bundle gone from the store, as a collection leaves it (its record and its glue; the
      // wasm blobs stay), and readers told that something changed.
      for (const v of pinned.variants) {
        const glue = v.bundle!.files.find((f) => f.path === v.bundle!.entry)!;
        const hex = Buffer.from(glue.integrity.slice('sha256-'.length), 'base64').toString('hex');
        rmSync(join(store, 'files', `sha256-${hex}`), { force: true });
        rmSync(join(store, 'bundles', `${v.bundle!.id}.json`));
      }
      await markChanged(fsStore({ dir: store }));
      const out = await runScript('node20', await bundleScript(EM_LOADER), {
        args: [em.url, file],
        timeoutMs: 60_000,
      });
      expect(out).toMatchObject({
        stage: 'glue',
        error: expect.stringMatching(
          /^LoadError: .*HTTP 404 for app\.js \(the server no longer has this bundle: a version removed, or its files collected\)$/,
        ),
      });
    } finally {
      await em.close();
    }
  }, 120_000);
});
