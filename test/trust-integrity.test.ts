/**
 * Nothing served fails its hash, end to end on the server: a blob corrupted, truncated or swapped
 * in the store is a 503 and a log line on /wasm and /blobs alike; a precompressed copy carries its
 * own hash from publish, and a copy that fails it (or is missing) is never sent: the verified
 * identity bytes are.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hono } from 'hono';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from 'vitest';
import { nodeEncoders } from '../src/node/encoders.js';
import { blobKey, blobMetaKey, LEGACY_MANIFEST_KEY, parseBlobMeta } from '../src/registry/records.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';
import {
  type Answer,
  appClient,
  DEMO,
  decoded,
  expectSafe,
  hexOf,
  httpClient,
  listen,
  type Published,
  publishedOf,
  type RawClient,
  type Req,
  type Sandbox,
  sandbox,
  TOKEN,
  wasmModule,
} from './harness/trust.js';

/** A compressible module unique to `tag`, so each test corrupts its own blob. */
const moduleFor = (tag: string) =>
  wasmModule({
    custom: [['pad', new TextEncoder().encode(`${tag}: weft pads this so it compresses. `.repeat(800))]],
  });

for (const mode of ['app.fetch', 'node server'] as const) {
  describe(`integrity of served bytes [${mode}]`, () => {
    let box: Sandbox;
    let app: Hono;
    let client: RawClient;
    let close = async () => {};
    let errors: MockInstance<typeof console.error>;
    const published: Published = publishedOf(...Object.values(DEMO));

    beforeAll(async () => {
      box = await sandbox();
      app = createApp({
        store: fsStore({ dir: box.storeDir }),
        publishToken: TOKEN,
        encoders: nodeEncoders,
        manifestTtlMs: 0,
        // Every read goes to the store, which these tests corrupt (the cache has its own test).
        blobCacheBytes: 0,
      });
      if (mode === 'node server') {
        const server = await listen(app);
        client = httpClient(server.origin);
        close = server.close;
      } else client = appClient(app);
    });
    afterAll(async () => {
      await close();
      await box.expectUntouched();
    });
    beforeEach(() => {
      errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    });
    afterEach(() => errors.mockRestore());

    const logged = () => errors.mock.calls.map((args) => args.map(String).join(' ')).join('\n');

    /** Publishes a fresh module and returns where its blob and copies live. */
    async function fresh(tag: string) {
      const bytes = moduleFor(tag);
      const res = await client({
        method: 'PUT',
        path: `/v1/modules/${tag}/variants/only`,
        headers: { Authorization: `Bearer ${TOKEN}` },
        body: bytes,
      });
      expect(res.status).toBe(201);
      published.blobs.set(hexOf(bytes), bytes);
      const blob = `sha256-${hexOf(bytes)}`;
      const file = (suffix = '') => join(box.storeDir, 'blobs', `${blob}.wasm${suffix}`);
      return {
        bytes,
        blob,
        identity: file(),
        br: file('.br'),
        gz: file('.gz'),
        wasm: `/v1/modules/${tag}/wasm?caps=`,
        url: `/v1/blobs/${blob}.wasm`,
      };
    }

    async function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
      const req: Req = { method, path, headers };
      const answer = await client(req);
      expectSafe(answer, req, published);
      return answer;
    }

    async function corrupt(path: string, how: 'flip' | 'truncate' | 'swap' = 'flip') {
      const bytes = new Uint8Array(await readFile(path));
      if (how === 'flip') bytes[bytes.length >> 1]! ^= 0x01;
      await writeFile(
        path,
        how === 'truncate' ? bytes.subarray(0, bytes.length >> 1) : how === 'swap' ? DEMO.single : bytes,
      );
    }

    it('records each precompressed copy with its own size and sha256 at publish, matching the stored copy', async () => {
      const m = await fresh('recorded');
      const variant = parseBlobMeta(
        new Uint8Array(await readFile(join(box.storeDir, blobMetaKey(m.blob)))),
        m.blob,
      );
      expect(Object.keys(variant.encodings ?? {}).sort()).toEqual(['br', 'gzip']);
      for (const [name, path] of [
        ['br', m.br],
        ['gzip', m.gz],
      ] as const) {
        const copy = new Uint8Array(await readFile(path));
        expect(variant.encodings![name]).toEqual({ size: copy.length, sha256: hexOf(copy) });
      }
    });

    it('serves intact br and gzip copies with Content-Encoding; each decodes to the published bytes', async () => {
      const m = await fresh('intact');
      for (const path of [m.wasm, m.url]) {
        for (const encoding of ['br', 'gzip']) {
          const answer = await get(path, { 'Accept-Encoding': encoding });
          expect(answer.status).toBe(200);
          expect(answer.headers.get('content-encoding')).toBe(encoding);
          expect(hexOf(decoded(answer))).toBe(hexOf(m.bytes));
        }
      }
      expect(logged()).toBe('');
    });

    for (const how of ['flip', 'truncate', 'swap'] as const) {
      it(`refuses a blob ${how === 'flip' ? 'with one bit flipped' : how === 'truncate' ? 'truncated' : 'replaced by another valid module'} in the store: 503 with Retry-After on /wasm and /blobs, GET, HEAD and Range, and logs it`, async () => {
        const m = await fresh(`bad-${how}`);
        await corrupt(m.identity, how);
        for (const [path, headers, method] of [
          [m.wasm, {}, 'GET'],
          [m.wasm, { 'Accept-Encoding': 'identity' }, 'HEAD'],
          [m.url, {}, 'GET'],
          [m.url, {}, 'HEAD'],
          [m.url, { Range: 'bytes=0-7' }, 'GET'],
        ] as const) {
          const answer = await get(path, headers, method);
          expect(answer.status, `${method} ${path}`).toBe(503);
          expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
          if (method === 'GET')
            expect(JSON.parse(new TextDecoder().decode(answer.body)).error.code).toBe('unavailable');
        }
        expect(logged()).toContain(`blob ${m.blob} failed its hash check`);
      });
    }

    for (const [encoding, other] of [
      ['br', 'gzip'],
      ['gzip', 'br'],
    ] as const) {
      it(`never serves a corrupted ${encoding} copy: the verified identity bytes go instead, and it is logged`, async () => {
        const m = await fresh(`copy-${encoding}`);
        await corrupt(encoding === 'br' ? m.br : m.gz);
        for (const path of [m.wasm, m.url]) {
          const answer = await get(path, { 'Accept-Encoding': encoding });
          expect(answer.status).toBe(200);
          expect(answer.headers.get('content-encoding')).toBeNull();
          expect(Buffer.from(answer.body).equals(Buffer.from(m.bytes))).toBe(true);
          // The intact copy of the other encoding is still served to clients that take only it.
          const intact = await get(path, { 'Accept-Encoding': other });
          expect(intact.headers.get('content-encoding')).toBe(other);
          expect(hexOf(decoded(intact))).toBe(hexOf(m.bytes));
        }
        expect(logged()).toContain(`the ${encoding} copy of blob ${m.blob} failed its hash check`);
      });
    }

    it('serves the identity bytes when a copy is missing or swapped for the other encoding, and logs it', async () => {
      const m = await fresh('copy-missing');
      await rm(m.br);
      await writeFile(m.gz, await readFile(m.identity));
      for (const encoding of ['br', 'gzip']) {
        const answer = await get(m.wasm, { 'Accept-Encoding': encoding });
        expect(answer.headers.get('content-encoding')).toBeNull();
        expect(Buffer.from(answer.body).equals(Buffer.from(m.bytes))).toBe(true);
      }
      expect(logged()).toContain(`the br copy of blob ${m.blob} is missing`);
      expect(logged()).toContain(`the gzip copy of blob ${m.blob} failed its hash check`);
    });

    it('answers 503 when both the copy and the identity bytes are corrupted: nothing is served', async () => {
      const m = await fresh('all-bad');
      await corrupt(m.br);
      await corrupt(m.gz);
      await corrupt(m.identity);
      for (const encoding of ['br', 'gzip', 'br, gzip', 'identity']) {
        expect((await get(m.wasm, { 'Accept-Encoding': encoding })).status).toBe(503);
        expect((await get(m.url, { 'Accept-Encoding': encoding })).status).toBe(503);
      }
    });

    it('does not serve copies a pre-hash one-file manifest recorded by size only; the identity bytes are served', async () => {
      // A store as an early version wrote it: copies recorded by their size alone, so they cannot be checked.
      const m = await fresh('legacy');
      const legacy = memoryStore();
      await legacy.put(blobKey(m.blob), m.bytes);
      for (const [suffix, path] of [
        ['br', m.br],
        ['gzip', m.gz],
      ] as const)
        await legacy.put(blobKey(m.blob, suffix), new Uint8Array(await readFile(path)));
      const variant = {
        name: 'only',
        model: 'single',
        requires: [],
        blob: m.blob,
        size: m.bytes.length,
        polyfills: [],
      };
      const sizes = { br: (await readFile(m.br)).length, gzip: (await readFile(m.gz)).length };
      await legacy.put(
        LEGACY_MANIFEST_KEY,
        new TextEncoder().encode(
          JSON.stringify({
            schema: 1,
            modules: { legacy: { version: '1', variants: [{ ...variant, encodings: sizes }] } },
          }),
        ),
      );
      const answer = await createApp({ store: legacy }).request(m.wasm, {
        headers: { 'Accept-Encoding': 'br, gzip' },
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-encoding')).toBeNull();
      expect(Buffer.from(await answer.arrayBuffer()).equals(Buffer.from(m.bytes))).toBe(true);
      // The upgrade recorded the blob without them.
      expect(parseBlobMeta((await legacy.get(blobMetaKey(m.blob)))!, m.blob).encodings).toBeUndefined();
    });
  });
}
