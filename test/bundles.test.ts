/**
 * Variant bundles (manifest schema 2) on real Emscripten output: each build folder published as one
 * content-addressed unit (wasm, glue, worker), served under /v1/bundles/<id>/<path> exactly as
 * written, named by /resolve; a file altered in the store is never served; bad folders publish
 * nothing; a schema 1 store is upgraded losing nothing.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readModules } from '../src/registry/catalog.js';
import { publish } from '../src/registry/publish.js';
import { blobMetaKey, LEGACY_MANIFEST_KEY, moduleKey } from '../src/registry/records.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { createApp } from '../src/server/app.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { describeWith } from './harness/require.js';
import { DEMO } from './harness/trust.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const weft = (...args: string[]) => run(process.execPath, [CLI, ...args]);
const ISOLATED = 'shared-memory,threads,workers,bulk-memory';

interface Resolved {
  variant: string;
  bundle: {
    id: string;
    base: string;
    entry: string;
    files: { path: string; role: string; size: number; integrity: string }[];
  };
}

describeWith('Debian Emscripten (emcc)', emccBuilds(), EMCC_INSTALL, (builds) => {
  let dir: string;
  let store: string;
  let folder: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-bundles-'));
    store = join(dir, 'store');
    folder = join(dir, 'app');
    cpSync(join(builds, 'app'), folder, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const app = () => createApp({ store: fsStore({ dir: store }), blobCacheBytes: 0 });
  const resolve = async (a = app()) =>
    (await (await a.request(`http://weft.test/v1/modules/app/resolve?caps=${ISOLATED}`)).json()) as Resolved;

  it('publishes each build folder as one bundle and serves every file byte for byte under its own path', async () => {
    await weft('publish', folder, '--store', store);
    const a = app();
    const { variant, bundle } = await resolve(a);
    expect(variant).toBe('pthreads');
    expect(bundle.entry).toBe('app.js');
    expect(bundle.base).toBe(`http://weft.test/v1/bundles/${bundle.id}/`);
    expect(bundle.files.map((f) => [f.path, f.role])).toEqual([
      ['app.js', 'glue'],
      ['app.wasm', 'wasm'],
      ['app.worker.js', 'worker'],
    ]);
    for (const f of bundle.files) {
      const res = await a.request(bundle.base + f.path);
      expect(res.status, f.path).toBe(200);
      const body = new Uint8Array(await res.arrayBuffer());
      expect(body).toEqual(new Uint8Array(readFileSync(join(folder, 'pthreads', f.path))));
      expect(res.headers.get('content-type')).toBe(
        f.path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript; charset=utf-8',
      );
      expect(res.headers.get('cache-control')).toContain('immutable');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(f.integrity).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
    }
    // The wasm-only routes keep answering with the chosen wasm.
    const wasm = await a.request(`http://weft.test/v1/modules/app/wasm?caps=${ISOLATED}`);
    expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(
      new Uint8Array(readFileSync(join(folder, 'pthreads', 'app.wasm'))),
    );
  });

  it('gives the same files the same bundle id, and other files another', async () => {
    await weft('publish', folder, '--store', store);
    const first = (await resolve()).bundle.id;
    await weft('publish', folder, '--store', store);
    expect((await resolve()).bundle.id).toBe(first);
    writeFileSync(join(folder, 'pthreads', 'README.txt'), 'notes');
    await weft('publish', folder, '--store', store);
    expect((await resolve()).bundle.id).not.toBe(first);
  });

  it('answers paths outside the bundle, unknown files and unknown bundles with JSON 4xx, never bytes', async () => {
    await weft('publish', folder, '--store', store);
    const a = app();
    const { bundle } = await resolve(a);
    for (const [path, status] of [
      [`/v1/bundles/${bundle.id}/nope.js`, 404],
      [`/v1/bundles/${bundle.id}/%2e%2e/%2e%2e/manifest.json`, 404],
      [`/v1/bundles/${bundle.id}/..%2Fapp.js`, 404],
      [`/v1/bundles/${'0'.repeat(32)}/app.js`, 404],
      ['/v1/bundles/not-an-id/app.js', 400],
    ] as const) {
      const res = await a.request(`http://weft.test${path}`);
      expect(res.status, path).toBe(status);
      expect((await res.json()).error.code).toMatch(/^(not_found|bad_request)$/);
    }
  });

  it('never serves a bundle file altered in the store: 503, and the other files still answer', async () => {
    await weft('publish', folder, '--store', store);
    const { bundle } = await resolve();
    const glue = bundle.files.find((f) => f.path === 'app.js')!;
    const key = readdirSync(join(store, 'files')).find((k) =>
      readFileSync(join(store, 'files', k)).equals(readFileSync(join(folder, 'pthreads', 'app.js'))),
    )!;
    writeFileSync(join(store, 'files', key), 'globalThis.pwned = true;');
    const a = app();
    const res = await a.request(bundle.base + glue.path);
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain('pwned');
    expect((await a.request(`${bundle.base}app.worker.js`)).status).toBe(200);
  });

  it("refuses a record that pairs one build's glue with another build's wasm: 503, nothing served", async () => {
    await weft('publish', folder, '--store', store);
    const path = join(store, moduleKey('app'));
    const record = JSON.parse(readFileSync(path, 'utf8'));
    const [pthreads, simd] = record.variants;
    [pthreads.bundle, simd.bundle] = [simd.bundle, pthreads.bundle];
    writeFileSync(path, JSON.stringify(record));
    const res = await app().request(`http://weft.test/v1/modules/app/resolve?caps=${ISOLATED}`);
    expect(res.status).toBe(503);
    expect((await res.json()).error.code).toBe('unavailable');
  });

  it.each([
    [
      'a glue that loads a file the bundle lacks',
      (f: string) => rmSync(join(f, 'pthreads', 'app.worker.js')),
      /the glue loads a file the bundle does not hold \(app\.worker\.js\)/,
    ],
    [
      'two wasm files in one build folder',
      (f: string) => cpSync(join(f, 'simd', 'app.wasm'), join(f, 'pthreads', 'other.wasm')),
      /pthreads\/: holds 2 wasm files/,
    ],
    ['a symlink', (f: string) => symlinkSync('/etc/hostname', join(f, 'simd', 'notes.txt')), /is a symlink/],
  ])('refuses %s and publishes nothing', async (_what, spoil, message) => {
    spoil(folder);
    const failed = await weft('publish', folder, '--store', store).then(
      () => null,
      (err: { stderr: string; code: number }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(message);
    expect(readdirSync(dir)).not.toContain('store');
  });

  it('upgrades a one-file schema 1 store in place, losing no module or copy, and keeps its blob URLs', async () => {
    // A store as an earlier version wrote it: one manifest.json (its variants carry their copies), the blobs beside it.
    const s = fsStore({ dir: store });
    await publish(s, { module: 'old', variant: 'single', bytes: DEMO.single });
    const entry = (await readModules(s)).modules.old!;
    const blob = entry.variants[0]!.blob;
    const copies = JSON.parse(readFileSync(join(store, blobMetaKey(blob)), 'utf8')).encodings;
    expect(copies.gzip).toBeDefined();
    const legacy = {
      schema: 1,
      modules: { old: { ...entry, variants: [{ ...entry.variants[0], encodings: copies }] } },
    };
    rmSync(join(store, 'modules'), { recursive: true });
    rmSync(join(store, blobMetaKey(blob)));
    writeFileSync(join(store, LEGACY_MANIFEST_KEY), JSON.stringify(legacy));

    // Read as it is: the first request upgrades it.
    const blobUrl = `http://weft.test/v1/blobs/${blob}.wasm`;
    const gz = await app().request(blobUrl, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(gz.status).toBe(200);
    expect(gz.headers.get('Content-Encoding')).toBe('gzip');
    expect(readdirSync(store)).not.toContain(LEGACY_MANIFEST_KEY);
    const kept = readdirSync(join(store, 'legacy'));
    expect(kept).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(store, 'legacy', kept[0]!), 'utf8'))).toEqual(legacy);

    await weft('publish', folder, '--store', store);
    expect((await readModules(s)).modules.old).toEqual(entry);
    expect((await app().request(blobUrl)).status).toBe(200);
    expect((await resolve()).bundle.entry).toBe('app.js');
  });
});
