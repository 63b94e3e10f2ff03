/**
 * A published blob's record and its precompressed copies: made once after the publish commits,
 * never per request (the identity bytes are served until a copy is whole and listed).
 */
import { sha256, toHex } from '../contract/address.js';
import { blobKey, blobMetaKey, parseBlobMeta, serializeBlobMeta, swapRecord } from './records.js';
import type { Encodings } from './schema.js';
import type { Store } from './store.js';

/** Publish-time compressors; gzip through CompressionStream works everywhere, brotli where the runtime has it. */
export type Encoders = Partial<Record<'br' | 'gzip', (bytes: Uint8Array) => Promise<Uint8Array>>>;

export const gzipEncoder = async (bytes: Uint8Array): Promise<Uint8Array> => {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
};

/** Stores a blob and its record (kept when a valid one exists: it may list copies made earlier). */
export async function storeBlob(store: Store, blob: string, bytes: Uint8Array): Promise<void> {
  await store.put(blobKey(blob), bytes);
  await swapRecord(
    store,
    blobMetaKey(blob),
    (current) =>
      current && valid(() => parseBlobMeta(current.value, blob))
        ? { result: undefined }
        : { write: serializeBlobMeta({ size: bytes.length }), result: undefined },
    `record blob ${blob}`,
  );
}

const valid = (parse: () => unknown): boolean => {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
};

/**
 * Makes a blob's precompressed copies (each smaller than the blob) that its record does not list
 * yet, stores each, then records it with its own hash (checked before the copy is served): until
 * then the identity bytes are served, and a copy is never listed before it is whole.
 */
export async function storeCopies(
  store: Store,
  blob: string,
  bytes: Uint8Array,
  encoders: Encoders,
): Promise<void> {
  const key = blobMetaKey(blob);
  const before = await store.get(key);
  const listed = before ? parseBlobMeta(before, blob).encodings : undefined;
  const made: Encodings = {};
  for (const [name, encode] of Object.entries(encoders) as [
    keyof Encoders,
    (b: Uint8Array) => Promise<Uint8Array>,
  ][]) {
    if (listed?.[name]) continue;
    const packed = await encode(bytes);
    if (packed.length >= bytes.length) continue;
    await store.put(blobKey(blob, name), packed);
    made[name] = { size: packed.length, sha256: toHex(await sha256(packed)) };
  }
  if (!Object.keys(made).length) return;
  // Another publisher may record copies meanwhile: merge with what is there.
  await swapRecord(
    store,
    key,
    (current) => {
      const meta = current ? parseBlobMeta(current.value, blob) : { size: bytes.length };
      const encodings = { ...made, ...meta.encodings };
      return { write: serializeBlobMeta({ ...meta, encodings }), result: undefined };
    },
    `list the copies of blob ${blob}`,
  );
}
