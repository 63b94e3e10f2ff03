/**
 * Verified bytes kept in memory, bounded by total size (least recently used out first). A blob is
 * content-addressed, so bytes that once matched their hash stay right: serving them again without
 * re-reading and re-hashing cannot serve anything wrong, and a store corrupted later is still caught
 * the next time the bytes are read from it (after eviction or a restart).
 */
export interface BlobCache {
  get(key: string): Uint8Array | undefined;
  set(key: string, bytes: Uint8Array): void;
}

export function createBlobCache(maxBytes: number): BlobCache {
  const entries = new Map<string, Uint8Array>();
  let total = 0;
  return {
    get(key) {
      const bytes = entries.get(key);
      if (bytes) {
        // Re-insert: Map iteration order is insertion order, so the first key is the least recent.
        entries.delete(key);
        entries.set(key, bytes);
      }
      return bytes;
    },
    set(key, bytes) {
      if (bytes.length > maxBytes || entries.has(key)) return;
      entries.set(key, bytes);
      total += bytes.length;
      for (const [old, value] of entries) {
        if (total <= maxBytes) break;
        entries.delete(old);
        total -= value.length;
      }
    },
  };
}
