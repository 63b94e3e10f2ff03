import { sha256, toHex } from './digest.js';
import { ApiError } from './errors.js';
import { emptyManifest, MANIFEST_KEY, type Manifest, ManifestError, parseManifest } from './manifest.js';
import { guard, type Store } from './store.js';

// A manifest's generation: a short hash of the bytes it was parsed from (cache keys change with it).
const generations = new WeakMap<Manifest, string>();

/** The generation of a manifest this catalog loaded (`empty` for a store without one). */
export function generationOf(manifest: Manifest): string {
  return generations.get(manifest) ?? 'empty';
}

export interface Catalog {
  /** The current manifest: cached for `ttlMs`, reloaded after, dropped at once by `invalidate`. */
  manifest(): Promise<Manifest>;
  invalidate(): void;
}

/**
 * Reads the manifest from the store with a short cache, so each request does not re-read and
 * re-validate it. A manifest that fails validation at run time is a 503: serving from it could
 * serve a wrong binary.
 */
export function createCatalog(store: Store, ttlMs = 2000): Catalog {
  let cached: { at: number; value: Promise<Manifest> } | undefined;
  const load = async (): Promise<Manifest> => {
    const bytes = await guard(store.driver, 'get', () => store.get(MANIFEST_KEY));
    if (!bytes) return emptyManifest();
    try {
      const manifest = parseManifest(bytes);
      generations.set(manifest, toHex(await sha256(bytes)).slice(0, 16));
      return manifest;
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      console.error(`weft: ${err.message}`);
      throw new ApiError(503, 'the manifest in the store is invalid', { headers: { 'Retry-After': '30' } });
    }
  };
  return {
    manifest() {
      const now = Date.now();
      // `>=`: a ttl of 0 never serves a cached manifest, even within the same millisecond.
      if (!cached || now - cached.at >= ttlMs) {
        const value = load();
        cached = { at: now, value };
        // A failed load is not cached: the next request tries again.
        value.catch(() => {
          if (cached?.value === value) cached = undefined;
        });
      }
      return cached.value;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
