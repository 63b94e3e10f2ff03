/**
 * A map bounded by the total size of its values, least recently used out first: what keeps the
 * catalog's parsed records and the verified-bytes cache within their memory budgets.
 */
export interface Lru<V> {
  /** The value, made the most recently used. */
  get(key: string): V | undefined;
  /** The value, leaving the order as it is. */
  peek(key: string): V | undefined;
  /** Stores `value` as the most recently used, counted as `size`, then evicts others until within the bound. */
  set(key: string, value: V, size: number): void;
  delete(key: string): void;
  clear(): void;
}

export function createLru<V>(maxSize: number): Lru<V> {
  // Map iteration is insertion order: the first key is the least recently used.
  const entries = new Map<string, { value: V; size: number }>();
  let total = 0;
  const remove = (key: string) => {
    total -= entries.get(key)?.size ?? 0;
    entries.delete(key);
  };
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    peek: (key) => entries.get(key)?.value,
    set(key, value, size) {
      remove(key);
      entries.set(key, { value, size });
      total += size;
      for (const old of entries.keys()) {
        if (total <= maxSize || old === key) break;
        remove(old);
      }
    },
    delete: remove,
    clear() {
      entries.clear();
      total = 0;
    },
  };
}
