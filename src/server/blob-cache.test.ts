import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createBlobCache } from '../registry/blob-cache.js';
import { readModules } from '../registry/catalog.js';
import { blobKey } from '../registry/records.js';
import { memoryStore } from '../registry/stores/memory.js';
import { createApp } from './app.js';

const sab = new Uint8Array(readFileSync(new URL('../../fixtures/demo/sab.wasm', import.meta.url)));

describe('verified-bytes cache', () => {
  it('evicts the least recently used entries to stay within its byte budget', () => {
    const cache = createBlobCache(10);
    cache.set('a', new Uint8Array(4));
    cache.set('b', new Uint8Array(4));
    cache.get('a');
    cache.set('c', new Uint8Array(4));
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map((v) => v?.length)).toEqual([4, undefined, 4]);
    cache.set('huge', new Uint8Array(11));
    expect(cache.get('huge')).toBeUndefined();
  });

  it('keeps serving the bytes it verified when the store is corrupted later, and a fresh app refuses the corrupt ones', async () => {
    const store = memoryStore();
    const app = createApp({ store, publishToken: 't' });
    const put = await app.request('/v1/modules/m/variants/sab', {
      method: 'PUT',
      body: sab,
      headers: { Authorization: 'Bearer t' },
    });
    expect(put.status).toBe(201);
    const first = await app.request('/v1/modules/m/wasm?caps=shared-memory,threads');
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(sab);

    const { blob } = (await readModules(store)).modules.m!.variants[0]!;
    const corrupt = sab.slice();
    const at = corrupt.length - 2;
    corrupt[at] = corrupt[at]! ^ 0xff;
    await store.put(blobKey(blob), corrupt);

    const again = await app.request('/v1/modules/m/wasm?caps=shared-memory,threads');
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(sab);
    const fresh = await createApp({ store }).request('/v1/modules/m/wasm?caps=shared-memory,threads');
    expect(fresh.status).toBe(503);
  });
});
