/**
 * Reading a blob's bytes to serve them: verified against their content address first (a store can
 * change under us), through the verified-bytes cache. A precompressed copy is checked against the
 * hash recorded for it at publish; one that fails (or is missing) is logged and left out.
 */
import { hexOf, sha256, toHex } from '../contract/address.js';
import type { BlobCache } from './blob-cache.js';
import { blobKey } from './records.js';
import type { Encodings } from './schema.js';
import type { Store } from './store.js';

/** A blob a record names that cannot be served: gone from the store, or not the bytes it names. */
export class BlobError extends Error {
  constructor(
    readonly code: 'blob_missing' | 'blob_corrupt',
    readonly blob: string,
  ) {
    super(
      code === 'blob_missing'
        ? `blob ${blob} is named by a record but missing from the store`
        : `blob ${blob} failed its hash check`,
    );
    this.name = 'BlobError';
  }
}

/** The stored bytes if they hash to `hex`; null when absent; false when they do not match. */
async function readChecked(
  store: Store,
  cache: BlobCache | undefined,
  key: string,
  hex: string,
): Promise<Uint8Array | null | false> {
  const id = `${key}#${hex}`;
  const cached = cache?.get(id);
  if (cached) return cached;
  const bytes = await store.get(key);
  if (!bytes) return null;
  // Hash every read from the store (about 0.3 ms per 100 KB): a store can change under us.
  if (toHex(await sha256(bytes)) !== hex) return false;
  cache?.set(id, bytes);
  return bytes;
}

/** The bytes of `blob` (stored under `key`, default the wasm blob's), verified; else a BlobError. */
export async function readBlob(
  store: Store,
  cache: BlobCache | undefined,
  blob: string,
  key = blobKey(blob),
): Promise<Uint8Array> {
  const bytes = await readChecked(store, cache, key, hexOf(blob));
  if (bytes === null) throw new BlobError('blob_missing', blob);
  if (bytes === false) throw new BlobError('blob_corrupt', blob);
  return bytes;
}

/** The precompressed copy if it is present and whole; otherwise logs why and returns null. */
export async function readCopy(
  store: Store,
  cache: BlobCache | undefined,
  blob: string,
  encoding: 'br' | 'gzip',
  encodings: Encodings,
): Promise<Uint8Array | null> {
  const copy = encodings[encoding];
  if (!copy) return null;
  const bytes = await readChecked(store, cache, blobKey(blob, encoding), copy.sha256);
  if (bytes) return bytes;
  console.error(
    `weft: the ${encoding} copy of blob ${blob} ${bytes === null ? 'is missing' : 'failed its hash check'}; serving the identity bytes instead`,
  );
  return null;
}
