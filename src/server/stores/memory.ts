import { checkKey, type Store } from '../store.js';

export const DRIVER_NAME = 'memory';

export interface MemoryStoreOptions {
  /** Initial contents, copied in. */
  initial?: Record<string, Uint8Array>;
}

/** An in-memory store for tests and embedding. Values are copied in and out, so callers cannot alias them. */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const data = new Map<string, Uint8Array>();
  for (const [key, value] of Object.entries(options.initial ?? {})) data.set(checkKey(key), value.slice());
  return {
    driver: DRIVER_NAME,
    async get(key) {
      return data.get(checkKey(key))?.slice() ?? null;
    },
    async put(key, value) {
      data.set(checkKey(key), value.slice());
    },
    async delete(key) {
      data.delete(checkKey(key));
    },
    async list(prefix = '') {
      return [...data.keys()].filter((key) => key.startsWith(prefix)).sort();
    },
  };
}

export default memoryStore;
