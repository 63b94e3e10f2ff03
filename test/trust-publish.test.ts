/**
 * Hostile `PUT` bodies: empty, over the limit, not wasm, truncated and mutated wasm, names inside
 * the binary that carry taints. A refused publish writes nothing (the store's files stay byte for
 * byte what they were); an accepted one stores exactly the bytes sent.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeEncoders } from '../src/node/encoders.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { createApp } from '../src/server/app.js';
import {
  type Answer,
  appClient,
  DEMO,
  expectOnlyStoreFiles,
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
  taint,
  wasmModule,
} from './harness/trust.js';

const LIMIT = 64 * 1024;
const AUTH = { Authorization: `Bearer ${TOKEN}` };

/**
 * Each test's own world: a sandboxed fs store holding the demo, the app over it, and the oracle's
 * record of what was published. What one test publishes (hundreds of truncated and mutated
 * modules) is never in another's store, so no test depends on which ran before it.
 */
let box: Sandbox;
let app: Hono;
let client: RawClient;
let published: Published;

/** Every file of the store, by path, with its hash: what "nothing altered" compares. */
async function storeFiles(): Promise<Record<string, string>> {
  const store = fsStore({ dir: box.storeDir });
  const out: Record<string, string> = {};
  for (const key of await store.list())
    out[key] = hexOf(new Uint8Array(await readFile(join(box.storeDir, key))));
  return out;
}

async function put(
  body: Uint8Array | undefined,
  path = '/v1/modules/demo/variants/fuzz',
  via = client,
): Promise<Answer> {
  const req: Req = { method: 'PUT', path, headers: AUTH, ...(body ? { body } : {}) };
  const answer = await via(req);
  if (answer.status === 201 && body) published.blobs.set(hexOf(body), body);
  expectSafe(answer, req, published);
  return answer;
}

/** Cheaper than storeFiles, for loops: the keys and the records' bytes (blobs are content-addressed). */
async function storeState(): Promise<string> {
  const store = fsStore({ dir: box.storeDir });
  const keys = await store.list();
  const records = await Promise.all(
    keys.filter((k) => k.endsWith('.json')).map(async (k) => hexOf((await store.get(k))!)),
  );
  return `${keys.join(' ')} ${records.join(' ')}`;
}

beforeEach(async () => {
  box = await sandbox();
  published = publishedOf(...Object.values(DEMO));
  app = createApp({
    store: fsStore({ dir: box.storeDir }),
    publishToken: TOKEN,
    encoders: nodeEncoders,
    maxUploadBytes: LIMIT,
    manifestTtlMs: 0,
    authFailures: { max: Number.POSITIVE_INFINITY },
  });
  client = appClient(app);
  for (const name of ['single', 'wasi-threads', 'sab', 'set'] as const)
    expect((await put(DEMO[name], `/v1/modules/demo/variants/${name}`)).status).toBe(201);
});

afterEach(async () => {
  await box.expectUntouched();
  await expectOnlyStoreFiles(box.storeDir);
  await rm(box.parent, { recursive: true, force: true });
});

/** The body's answer is a refusal and the store is exactly as before. */
async function expectRefusedUnchanged(body: Uint8Array | undefined, status: number, via = client) {
  const before = await storeFiles();
  const answer = await put(body, undefined, via);
  expect(answer.status).toBe(status);
  expect(await storeFiles()).toEqual(before);
  return answer;
}

describe('PUT bodies', () => {
  it('refuses an empty body with 400 and writes nothing', async () => {
    await expectRefusedUnchanged(undefined, 400);
    await expectRefusedUnchanged(new Uint8Array(0), 400);
  });

  it('refuses a body over the upload limit with 413 and writes nothing, through app.fetch and a Node server', async () => {
    const huge = new Uint8Array(LIMIT + 1);
    huge.set(DEMO.single);
    await expectRefusedUnchanged(huge, 413);
    const server = await listen(app);
    try {
      await expectRefusedUnchanged(huge, 413, httpClient(server.origin));
      await expectRefusedUnchanged(new Uint8Array(4 * LIMIT), 413, httpClient(server.origin));
    } finally {
      await server.close();
    }
  });

  it('refuses a chunked body that grows past the limit with 413 (no Content-Length to trust)', async () => {
    const before = await storeFiles();
    const chunk = new Uint8Array(16 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > LIMIT * 2) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await app.request('/v1/modules/demo/variants/fuzz', {
      method: 'PUT',
      headers: AUTH,
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: 'payload_too_large' } });
    expect(await storeFiles()).toEqual(before);
  });

  it('refuses bodies that are not wasm (text, HTML, JSON, random bytes) with 400 and writes nothing', async () => {
    for (const text of ['<html>not wasm</html>', '{"wasm":true}', 'asm', '\0as', '\0asm\x02\0\0\0'])
      await expectRefusedUnchanged(new TextEncoder().encode(text), 400);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
        fc.pre(!(bytes[0] === 0 && bytes[1] === 0x61));
        await expectRefusedUnchanged(bytes, 400);
      }),
      { numRuns: 150 },
    );
  });

  it('answers every truncation of every demo variant with 400 (writing nothing) or 201 (storing exactly those bytes)', async () => {
    for (const bytes of Object.values(DEMO)) {
      for (let n = 1; n < bytes.length; n++) {
        const before = await storeState();
        const prefix = bytes.slice(0, n);
        const answer = await put(prefix);
        expect([400, 201]).toContain(answer.status);
        if (answer.status === 400) expect(await storeState()).toBe(before);
        // A prefix that ends on a section boundary is a valid (smaller) module.
        else
          expect(await readFile(join(box.storeDir, 'blobs', `sha256-${hexOf(prefix)}.wasm`))).toEqual(
            Buffer.from(prefix),
          );
      }
    }
  });

  it('answers mutated wasm (flipped, inserted and deleted bytes) with 400 or 201, never a 500', async () => {
    const mutated = fc
      .tuple(
        fc.constantFrom(...Object.values(DEMO)),
        fc.array(
          fc.tuple(fc.constantFrom('flip', 'insert', 'delete'), fc.nat(), fc.integer({ min: 0, max: 255 })),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
      )
      .map(([bytes, edits]) => {
        const out = [...bytes];
        for (const [op, at, value] of edits) {
          const i = 8 + (at % Math.max(1, out.length - 8));
          if (op === 'flip') out[i] = value;
          else if (op === 'insert') out.splice(i, 0, value);
          else out.splice(i, 1);
        }
        return new Uint8Array(out);
      });
    await fc.assert(
      fc.asyncProperty(mutated, async (bytes) => {
        const answer = await put(bytes);
        expect([400, 201]).toContain(answer.status);
      }),
      { numRuns: 300 },
    );
  });

  it('never echoes names written inside the binary (imports, custom sections) in its answer', async () => {
    const name = fc
      .tuple(fc.string({ maxLength: 10 }), taint, fc.string({ maxLength: 10 }))
      .map((p) => p.join(''));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(name, name), { minLength: 1, maxLength: 3 }),
        name,
        fc.boolean(),
        async (imports, custom, truncate) => {
          let bytes = wasmModule({ imports, custom: [[custom, new TextEncoder().encode(custom)]] });
          if (truncate) bytes = bytes.slice(0, bytes.length - 3);
          const req = { method: 'PUT', path: '/v1/modules/named/variants/one', headers: AUTH, body: bytes };
          const answer = await client(req);
          if (answer.status === 201) published.blobs.set(hexOf(bytes), bytes);
          const taints = [...imports.flat(), custom].flatMap((s) => s.match(/qz[a-z0-9]{6}/g) ?? []);
          expectSafe(answer, req, published, taints);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('serves back exactly the bytes of the last accepted publish, never a mix', async () => {
    const bytes = wasmModule({ custom: [['last', new TextEncoder().encode('the last one')]] });
    expect((await put(bytes, '/v1/modules/last/variants/only')).status).toBe(201);
    const answer = await client({ path: '/v1/modules/last/wasm?caps=' });
    expect(hexOf(answer.body)).toBe(hexOf(bytes));
  });
});
