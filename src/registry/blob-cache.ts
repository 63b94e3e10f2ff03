/**
 * Verified bytes kept in memory, bounded by total size (least recently used out first). A blob is
 * content-addressed, so bytes that once matched their hash stay right: serving them again without
 * re-reading and re-hashing cannot serve anything wrong, and a store corrupted later is still caught
 * the next time the bytes are read from it (after eviction or a restart).
 */
import { createLru } from './lru.js';

export interface BlobCache {
  get(key: string): Uint8Array | undefined;
  set(key: string, bytes: Uint8Array): void;
}

export function createBlobCache(maxBytes: number): BlobCache {
  const lru = createLru<Uint8Array>(maxBytes);
  return {
    get: (key) => lru.get(key),
    set(key, bytes) {
      if (bytes.length > maxBytes || lru.peek(key)) return;
      lru.set(key, bytes, bytes.length);
    },
  };
}
