import { sha256, toHex } from './digest.js';
import { emptyManifest, MANIFEST_KEY, type Manifest, parseManifest } from './manifest.js';
import type { Store } from './store.js';

// A manifest's generation: a short hash of the bytes it was parsed from (cache keys change with it).
const generations = new WeakMap<Manifest, string>();

/** The generation of a manifest this catalog loaded (`empty` for a store without one). */
export function generationOf(manifest: Manifest): string {
  return generations.get(manifest) ?? 'empty';
}

export interface Catalog {
  /**
   * The current manifest. Fresh for `ttlMs`; after that the cached one is still answered while a
   * reload runs beside it (a reload never makes a request wait), and a reload parses only when the
   * bytes changed. Dropped at once by `invalidate` (the next request loads it).
   */
  manifest(): Promise<Manifest>;
  invalidate(): void;
}

/**
 * Reads the manifest from the store with a short cache, so each request does not re-read and
 * re-validate it. A manifest that fails validation when loaded with nothing cached is a
 * ManifestError (the server answers 503): serving from it could serve a wrong binary. One that fails on a background reload is logged, and
 * the last valid one goes on being served (its blobs are content-addressed and checked on every read).
 */
export function createCatalog(store: Store, ttlMs = 2000): Catalog {
  let cached: { at: number; value: Promise<Manifest> } | undefined;
  let refreshing: Promise<void> | undefined;

  const parse = async (bytes: Uint8Array | null, previous?: Manifest): Promise<Manifest> => {
    if (!bytes) return emptyManifest();
    const generation = toHex(await sha256(bytes)).slice(0, 16);
    // Unchanged bytes: the manifest already parsed and validated from them is the answer.
    if (previous && generations.get(previous) === generation) return previous;
    // A ManifestError names the field; the server answers it 503 (its one onError) and logs it.
    const manifest = parseManifest(bytes);
    generations.set(manifest, generation);
    return manifest;
  };
  const read = () => store.get(MANIFEST_KEY);

  const loadNow = (): Promise<Manifest> => {
    const value = read().then((bytes) => parse(bytes));
    const entry = { at: Date.now(), value };
    cached = entry;
    // A failed load is not cached: the next request tries again.
    value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return value;
  };

  const refresh = (current: { at: number; value: Promise<Manifest> }) => {
    if (refreshing) return;
    refreshing = (async () => {
      try {
        const previous = await current.value;
        const next = await parse(await read(), previous);
        // Only if nothing replaced the entry meanwhile (an invalidate, a newer load).
        if (cached === current) cached = { at: Date.now(), value: Promise.resolve(next) };
      } catch (err) {
        // Keep serving the last valid manifest; the next stale request tries again.
        console.error(
          `weft: reloading the manifest failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      } finally {
        refreshing = undefined;
      }
    })();
  };

  return {
    manifest() {
      // A ttl of 0 never serves a cached manifest: every request reads the store.
      if (!cached || ttlMs <= 0) return loadNow();
      if (Date.now() - cached.at >= ttlMs) refresh(cached);
      return cached.value;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
