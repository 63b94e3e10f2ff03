import { checkKey, type Store } from '../store.js';

export const DRIVER_NAME = 'memory';

export interface MemoryStoreOptions {
  /** Initial contents, copied in. */
  initial?: Record<string, Uint8Array>;
}

/** An in-memory store for tests and embedding. Values are copied in and out, so callers cannot alias them. */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const data = new Map<string, Uint8Array>();
  // A counter per write: the version putIf compares (checked and written in one synchronous step).
  const versions = new Map<string, number>();
  let writes = 0;
  for (const [key, value] of Object.entries(options.initial ?? {})) data.set(checkKey(key), value.slice());
  return {
    driver: DRIVER_NAME,
    async get(key) {
      return data.get(checkKey(key))?.slice() ?? null;
    },
    async put(key, value) {
      data.set(checkKey(key), value.slice());
      versions.set(key, ++writes);
    },
    async delete(key) {
      data.delete(checkKey(key));
      versions.delete(key);
    },
    async getVersioned(key) {
      const value = data.get(checkKey(key));
      return value ? { value: value.slice(), version: String(versions.get(key) ?? 0) } : null;
    },
    async putIf(key, value, version) {
      const current = data.has(checkKey(key)) ? String(versions.get(key) ?? 0) : null;
      if (current !== version) return false;
      data.set(key, value.slice());
      versions.set(key, ++writes);
      return true;
    },
    async list(prefix = '') {
      return [...data.keys()].filter((key) => key.startsWith(prefix)).sort();
    },
  };
}

export default memoryStore;
