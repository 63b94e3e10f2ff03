/**
 * Piece hashes on the registry side (contract/pieces.ts): the server computes them from the bytes
 * it stores, for a wasm published by PUT and for every file of a build published over the upload
 * protocol (`weft publish --server`'s own functions), serves them beside each `integrity` through
 * the Node entry, pins them in `weft manifest`, and treats a record whose pieces do not fit its size
 * as corrupt (503), while a record without them (published before they existed) still serves.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { noise as dataOf, piecesApart } from '../../test/harness/pieces.js';
import { PIECE_SIZE } from '../contract/pieces.js';
import { dataModule } from '../inspect/wasm-builder.js';
import { planFolder } from '../node/description.js';
import { fetchPinned, pinnedText, readPinned } from '../node/pin.js';
import { publishRemote } from '../node/remote-publish.js';
import { type RunningServer, startServer } from '../node/serve.js';
import { isPinned } from '../profile/pinned.js';
import type { RemoteModule, ResolveAnswer } from '../profile/wire.js';
import { bundleKey, moduleKey } from './records.js';
import type { Store } from './store.js';
import { fsStore } from './stores/fs.js';

const TOKEN = 'pieces-token-0123456789';
const MIB = PIECE_SIZE;

const sri = (bytes: Uint8Array) => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;

let dir: string;
let store: Store;
let server: RunningServer | undefined;
let errors: MockInstance<typeof console.error>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-pieces-'));
  store = fsStore({ dir: join(dir, 'store') });
  errors = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  errors.mockRestore();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh Node entry on the test's store (a fresh one reads the store as it is now). */
async function serve(): Promise<string> {
  await server?.close();
  server = await startServer({ store, port: 0, publishToken: TOKEN });
  return server.url;
}
const getJson = async <T>(url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
};
const put = (url: string, bytes: Uint8Array) =>
  fetch(url, {
    method: 'PUT',
    body: bytes as Uint8Array<ArrayBuffer>,
    headers: { Authorization: `Bearer ${TOKEN}` },
  });

/** The 2.5 MiB wasm published by `PUT` (the in-process `publish()`), and a small one beside it. */
async function publishBig(url: string): Promise<{ big: Uint8Array; small: Uint8Array }> {
  const big = dataModule(2.5 * MIB, 7);
  const small = dataModule(64 * 1024, 8, 'check', 3);
  expect((await put(`${url}/v1/modules/big/variants/single`, big)).status).toBe(201);
  expect((await put(`${url}/v1/modules/small/variants/single`, small)).status).toBe(201);
  return { big, small };
}

/** A build folder: a 2.5 MiB wasm, a glue over 1 MiB that names it, a 1.5 MiB data file, a small worker. */
function buildFolder() {
  const files = {
    'app.wasm': dataModule(2.5 * MIB, 9, 'check', 11),
    'app.js': new TextEncoder().encode(
      `var wasm = "app.wasm"; var data = "app.data";\n/*${'x'.repeat(MIB + 4096)}*/\n`,
    ),
    'app.data': dataOf(1.5 * MIB + 3, 5),
    'app.worker.js': new TextEncoder().encode('self.onmessage = () => {};\n'),
  };
  const root = join(dir, 'folder');
  mkdirSync(join(root, 'app'), { recursive: true });
  for (const [path, bytes] of Object.entries(files)) writeFileSync(join(root, 'app', path), bytes);
  return { root, files };
}

describe('piece hashes in the registry', () => {
  it("serves a published wasm's pieces, computed from its bytes, on the module and resolve answers", async () => {
    const url = await serve();
    const { big, small } = await publishBig(url);
    const { status, body } = await getJson<RemoteModule>(`${url}/v1/modules/big`);
    expect(status).toBe(200);
    const [variant] = body.variants;
    expect(variant!.integrity).toBe(sri(big));
    expect(variant!.pieces).toBe(piecesApart(big));
    expect(Buffer.from(variant!.pieces!, 'base64').length).toBe(3 * 32);
    const resolved = await getJson<ResolveAnswer>(`${url}/v1/modules/big/resolve?caps=`);
    expect(resolved.body.pieces).toBe(piecesApart(big));
    // One piece: the SRI checks it, so no list.
    const one = await getJson<RemoteModule>(`${url}/v1/modules/small`);
    expect(one.body.variants[0]!.integrity).toBe(sri(small));
    expect(one.body.variants[0]).not.toHaveProperty('pieces');
    expect((await getJson<ResolveAnswer>(`${url}/v1/modules/small/resolve?caps=`)).body).not.toHaveProperty(
      'pieces',
    );
  });

  it('gives each file of a build published over HTTP over 1 MiB its pieces, and pins them', async () => {
    const url = await serve();
    const { root, files } = buildFolder();
    const published = await publishRemote(url, planFolder(root, 'app'), { token: TOKEN, log: () => {} });
    expect(typeof published).not.toBe('number');
    const { body } = await getJson<RemoteModule>(`${url}/v1/modules/app`);
    const [variant] = body.variants;
    expect(variant!.pieces).toBe(piecesApart(files['app.wasm']));
    const byPath = Object.fromEntries(variant!.bundle!.files.map((f) => [f.path, f]));
    expect(Object.keys(byPath).sort()).toEqual(['app.data', 'app.js', 'app.wasm', 'app.worker.js']);
    for (const [path, bytes] of Object.entries(files)) {
      const f = byPath[path]!;
      expect(f.integrity, path).toBe(sri(bytes));
      if (bytes.length > MIB) expect(f.pieces, path).toBe(piecesApart(bytes));
      else expect(f, path).not.toHaveProperty('pieces');
    }
    // The bundle's own record (what its files are served from) says the same.
    const record = JSON.parse(
      new TextDecoder().decode((await store.get(bundleKey(variant!.bundle!.id)))!),
    ) as {
      files: { path: string; pieces?: string }[];
    };
    expect(record.files.find((f) => f.path === 'app.data')!.pieces).toBe(piecesApart(files['app.data']));

    // `weft manifest`: the pinned manifest carries them, and reads back as written.
    const pinned = await fetchPinned(url, 'app');
    expect(isPinned(pinned)).toBe(true);
    expect(pinned.variants[0]!.pieces).toBe(piecesApart(files['app.wasm']));
    expect(pinned.variants[0]!.bundle!.files.find((f) => f.path === 'app.data')!.pieces).toBe(
      piecesApart(files['app.data']),
    );
    const file = join(dir, 'app.weft.json');
    writeFileSync(file, pinnedText(pinned));
    expect(await readPinned(file)).toEqual(pinned);
  });

  it('pins a manifest without pieces as before, and refuses one whose pieces do not fit', async () => {
    const url = await serve();
    const { big } = await publishBig(url);
    const pinned = await fetchPinned(url, 'big');
    const { pieces: _p, ...bare } = pinned.variants[0]!;
    const without = { ...pinned, variants: [bare] };
    expect(isPinned(without)).toBe(true);
    const file = join(dir, 'big.weft.json');
    writeFileSync(file, pinnedText(without));
    expect((await readPinned(file)).variants[0]).not.toHaveProperty('pieces');
    const short = Buffer.from(piecesApart(big), 'base64').subarray(32).toString('base64');
    writeFileSync(file, pinnedText({ ...pinned, variants: [{ ...bare, pieces: short }] }));
    await expect(readPinned(file)).rejects.toThrow(/variants\[0\]\.pieces/);
  });

  it('refuses pieces a client sends with a commit: only the server computes them', async () => {
    const url = await serve();
    const wasm = dataModule(2.5 * MIB, 7);
    const hash = `sha256-${createHash('sha256').update(wasm).digest('hex')}`;
    const res = await fetch(`${url}/v1/modules/forged/commit`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        variants: [
          {
            name: 'single',
            files: [{ path: 'a.wasm', role: 'wasm', hash, size: wasm.length, pieces: piecesApart(wasm) }],
          },
        ],
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'bad_commit' } });
  });

  it('treats a record whose pieces do not fit as corrupt (503), and serves one without them', async () => {
    const url = await serve();
    const { big } = await publishBig(url);
    const good = (await store.get(moduleKey('big')))!;
    const record = JSON.parse(new TextDecoder().decode(good)) as { variants: { pieces?: string }[] };
    const raw = Buffer.from(piecesApart(big), 'base64');
    const forged = {
      'a piece short': raw.subarray(32).toString('base64'),
      'an extra piece': Buffer.concat([raw, raw.subarray(0, 32)]).toString('base64'),
      'not base64': `${piecesApart(big).slice(0, -4)}!!!=`,
    };
    for (const [what, pieces] of Object.entries(forged)) {
      record.variants[0]!.pieces = pieces;
      await store.put(moduleKey('big'), new TextEncoder().encode(JSON.stringify(record)));
      errors.mockClear();
      const at = await serve();
      expect((await fetch(`${at}/v1/modules/big`)).status, what).toBe(503);
      expect((await fetch(`${at}/v1/modules/big/resolve?caps=`)).status, what).toBe(503);
      expect(errors.mock.calls.flat().join('\n'), what).toContain('modules.big.variants[0].pieces');
    }
    // A record from before pieces existed: valid, served without them.
    delete record.variants[0]!.pieces;
    await store.put(moduleKey('big'), new TextEncoder().encode(JSON.stringify(record)));
    const at = await serve();
    const { status, body } = await getJson<RemoteModule>(`${at}/v1/modules/big`);
    expect(status).toBe(200);
    expect(body.variants[0]!.integrity).toBe(sri(big));
    expect(body.variants[0]).not.toHaveProperty('pieces');
    // Publishing the same build again records them, as a new version (versions are immutable).
    expect((await put(`${at}/v1/modules/big/variants/single`, big)).status).toBe(201);
    const again = await getJson<RemoteModule>(`${await serve()}/v1/modules/big`);
    expect(again.body.version).not.toBe(body.version);
    expect(again.body.variants[0]!.pieces).toBe(piecesApart(big));
  });

  it("treats a bundle record whose file's pieces do not fit as corrupt (503)", async () => {
    const url = await serve();
    const { root, files } = buildFolder();
    await publishRemote(url, planFolder(root, 'app'), { token: TOKEN, log: () => {} });
    const { body } = await getJson<RemoteModule>(`${url}/v1/modules/app`);
    const bundle = body.variants[0]!.bundle!;
    const key = bundleKey(bundle.id);
    const record = JSON.parse(new TextDecoder().decode((await store.get(key))!)) as {
      files: { path: string; pieces?: string }[];
    };
    // The data file's pieces moved onto the worker (27 bytes: one piece, so it has none).
    record.files.find((f) => f.path === 'app.worker.js')!.pieces = piecesApart(files['app.data']);
    await store.put(key, new TextEncoder().encode(JSON.stringify(record)));
    const at = await serve();
    expect((await fetch(`${bundle.base.replace(url, at)}app.data`)).status).toBe(503);
    expect(errors.mock.calls.flat().join('\n')).toMatch(/bundles\.[0-9a-f]{32}\.files\[\d\]\.pieces/);
  });
});
