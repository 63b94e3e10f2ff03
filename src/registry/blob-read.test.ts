import { describe, expect, it } from 'vitest';
import { addressOf } from '../contract/address.js';
import { createBlobCache } from './blob-cache.js';
import { BlobError, readBlob } from './blob-read.js';
import { blobKey } from './records.js';
import { memoryStore } from './stores/memory.js';

const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
const codeOf = async (read: Promise<unknown>) => {
  try {
    await read;
  } catch (e) {
    if (e instanceof BlobError) return e.code;
    throw e;
  }
  return 'read';
};

describe('readBlob', () => {
  it('answers the stored bytes only when they hash to their address', async () => {
    const store = memoryStore();
    const blob = await addressOf(bytes);
    expect(await codeOf(readBlob(store, undefined, blob))).toBe('blob_missing');
    await store.put(blobKey(blob), bytes);
    expect(await readBlob(store, undefined, blob)).toEqual(bytes);
    await store.put(
      blobKey(blob),
      bytes.map((b, i) => (i === 7 ? b ^ 1 : b)),
    );
    expect(await codeOf(readBlob(store, undefined, blob))).toBe('blob_corrupt');
  });

  it('keeps verified bytes in the cache, and never caches bytes that failed', async () => {
    const store = memoryStore();
    const blob = await addressOf(bytes);
    const cache = createBlobCache(1024);
    await store.put(
      blobKey(blob),
      bytes.map((b) => b ^ 1),
    );
    expect(await codeOf(readBlob(store, cache, blob))).toBe('blob_corrupt');
    await store.put(blobKey(blob), bytes);
    expect(await readBlob(store, cache, blob)).toEqual(bytes);
    await store.delete(blobKey(blob));
    expect(await readBlob(store, cache, blob)).toEqual(bytes);
  });
});
