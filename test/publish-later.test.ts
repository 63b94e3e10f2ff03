/**
 * A `PUT` answers once its variant is committed, not after compressing it: the precompressed
 * copies are made afterwards (the app's `background`, or `waitUntil` on Workers), the identity
 * bytes are served until they are recorded, and the copies once they are. The encoder is held at a
 * gate the test opens, so the order is proven without a clock.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipEncoder } from '../src/registry/copies.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';
import { BIG, hexOf, TOKEN } from './harness/trust.js';

describe('PUT and precompressed copies', () => {
  it('answers 201 while the copies are still being made, serves identity until they are recorded, then the copy', async () => {
    let open = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    let later: Promise<void> | undefined;
    const app = createApp({
      store: memoryStore(),
      publishToken: TOKEN,
      manifestTtlMs: 0,
      encoders: { gzip: async (bytes) => gate.then(() => gzipEncoder(bytes)) },
      background: (work) => {
        later = work;
      },
    });
    const res = await app.request('/v1/modules/big/variants/single', {
      method: 'PUT',
      body: BIG as Uint8Array<ArrayBuffer>,
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    // The encoder has not run: the answer did not wait for it.
    expect(res.status).toBe(201);
    expect(later).toBeDefined();
    const get = () => app.request('/v1/modules/big/wasm?caps=', { headers: { 'Accept-Encoding': 'gzip' } });
    const before = await get();
    expect(before.status).toBe(200);
    expect(before.headers.get('Content-Encoding')).toBeNull();
    expect(hexOf(new Uint8Array(await before.arrayBuffer()))).toBe(hexOf(BIG));

    open();
    await later;
    const after = await get();
    expect(after.headers.get('Content-Encoding')).toBe('gzip');
    expect(hexOf(new Uint8Array(gunzipSync(new Uint8Array(await after.arrayBuffer()))))).toBe(hexOf(BIG));
  });

  it('without a place for later work, the PUT makes the copies before it answers', async () => {
    const app = createApp({ store: memoryStore(), publishToken: TOKEN, manifestTtlMs: 0 });
    const res = await app.request('/v1/modules/big/variants/single', {
      method: 'PUT',
      body: BIG as Uint8Array<ArrayBuffer>,
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(201);
    const got = await app.request('/v1/modules/big/wasm?caps=', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(got.headers.get('Content-Encoding')).toBe('gzip');
  });
});
