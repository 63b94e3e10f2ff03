import { ADDRESS, sha256, toHex } from '../contract/address.js';
import { NAME, VERSION } from '../contract/names.js';
import { BUNDLE_ID, type Bundle } from './bundle.js';
import { createListing, type ModuleSummary } from './listing.js';
import { createLru } from './lru.js';
import { ensureMigrated } from './migrate.js';
import {
  blobMetaKey,
  bundleKey,
  CHANGES_KEY,
  MODULES_PREFIX,
  moduleKey,
  moduleNameOf,
  parseBlobMeta,
  parseBundle,
  parseModule,
  parsePinned,
  versionKey,
} from './records.js';
import { type BlobMeta, type Manifest, type ModuleEntry, type Removed, SCHEMA } from './schema.js';
import type { Store } from './store.js';

/**
 * Every module of a store, read and validated now (no cache): for the command line and tests.
 * A record that fails validation is a ManifestError naming it.
 */
export async function readModules(store: Store): Promise<Manifest> {
  await ensureMigrated(store);
  const modules: Manifest['modules'] = {};
  for (const key of await store.list(MODULES_PREFIX)) {
    const name = moduleNameOf(key);
    const bytes = name ? await store.get(key) : null;
    if (name && bytes) modules[name] = parseModule(bytes, name);
  }
  return { schema: SCHEMA, modules };
}

// A record's generation: a short hash of the bytes it was parsed from (cache keys change with it).
const generations = new WeakMap<object, string>();

/** The generation of a record this catalog loaded (`none` for one it did not). */
export function generationOf(record: object): string {
  return generations.get(record) ?? 'none';
}

export interface Catalog {
  /** A module's record, or null when the store has none. */
  module(name: string): Promise<ModuleEntry | null>;
  /**
   * The module's record if it is cached and fresh right now (the same rule `module` answers by),
   * without waiting: the same object `module` answers, so a caller can tell whether it changed.
   */
  peek(name: string): ModuleEntry | undefined;
  /**
   * A pinned version's record: the module record it pins (the current one when it is current),
   * its tombstone when it was removed, or null when it was never published (misses are not cached:
   * a version published a moment ago is seen at once). Cached and refreshed like `module`, so a
   * removal is seen within the same freshness rule.
   */
  version(name: string, version: string): Promise<ModuleEntry | Removed | null>;
  /** A blob's record (its size and precompressed copies), or null when no publish recorded it. */
  blob(blob: string): Promise<BlobMeta | null>;
  /** A bundle's record, or null when no publish recorded it. */
  bundle(id: string): Promise<Bundle | null>;
  /** Every module, by name (a ManifestError, so a 503, when one record fails validation: the listing never hides a module). */
  modules(): Promise<ModuleSummary[]>;
  /** Forgets everything cached (a publish in this process calls it): the next request reads the store. */
  invalidate(): void;
}

/**
 * Stored bytes of the records kept parsed in memory at most (least recently used out first), so
 * memory stays bounded however many modules the store holds: 10,000 modules of six variants fit.
 */
const MAX_RECORD_BYTES = 24 * 1024 * 1024;
/**
 * The longest a cached record is answered without being read again while the change token stays
 * the same: a store changed by hand (copied key for key) or by a publisher that crashed before
 * writing the token is still seen within this.
 */
const MAX_AGE_MS = 60_000;

interface Slot {
  at: number;
  value: Promise<Loaded>;
  /** The change token known when it was read. */
  token: string;
  /** What `value` resolved to, once it has. */
  loaded?: Loaded;
}
type Loaded = { parsed: object; generation: string; size: number } | null;

/**
 * Reads the registry's records from the store, each on its own, with a short cache: a request
 * reads only the one module it names, so its cost does not grow with the registry. A record is
 * fresh for `ttlMs`, and after that for as long as the store's change token (CHANGES_KEY, read at
 * most once per `ttlMs`, whatever the number of records) stays the same, up to a minute. A stale
 * one is still answered while a reload runs beside it (a reload never makes a request wait), and
 * a reload parses only when the bytes changed. A record
 * that fails validation when nothing is cached is a ManifestError (the server answers 503 for that
 * module alone): serving from it could serve a wrong binary. One that fails on a background reload
 * is logged, and the last valid one goes on being served (its blobs are content-addressed and
 * checked on every read). A store of an earlier version is upgraded first (migrate.ts).
 */
export function createCatalog(store: Store, ttlMs = 2000): Catalog {
  // Each counted as the stored size of its record once loaded.
  const slots = createLru<Slot>(MAX_RECORD_BYTES);
  const refreshing = new Set<string>();
  const listing = createListing(store, ttlMs);
  let changes = { token: '', at: Number.NEGATIVE_INFINITY };
  let checking = false;

  /** The change token as last read; reads it again beside the request once it is `ttlMs` old. */
  const knownToken = (): string => {
    if (Date.now() - changes.at >= ttlMs && !checking) {
      checking = true;
      store
        .get(CHANGES_KEY)
        .then(
          (bytes) => {
            changes = { token: bytes ? new TextDecoder().decode(bytes) : '', at: Date.now() };
          },
          (err) =>
            console.error(
              `weft: reading the change token failed: ${err instanceof Error ? err.message : String(err)}`,
            ),
        )
        .finally(() => {
          checking = false;
        });
    }
    return changes.token;
  };

  const read = async (
    key: string,
    parse: (bytes: Uint8Array) => object,
    previous?: Loaded,
  ): Promise<Loaded> => {
    await ensureMigrated(store);
    const bytes = await store.get(key);
    if (!bytes) return null;
    const generation = toHex(await sha256(bytes)).slice(0, 16);
    // Unchanged bytes: the record already parsed and validated from them is the answer.
    if (previous && previous.generation === generation) return previous;
    // A ManifestError names the field; the server answers it 503 (its one onError) and logs it.
    const parsed = parse(bytes);
    generations.set(parsed, generation);
    return { parsed, generation, size: bytes.length };
  };

  const loadNow = (key: string, parse: (bytes: Uint8Array) => object): Promise<Loaded> => {
    const value = read(key, parse);
    const slot: Slot = { at: Date.now(), value, token: knownToken() };
    slots.set(key, slot, 0);
    value.then(
      (loaded) => {
        slot.loaded = loaded;
        if (slots.peek(key) === slot) slots.set(key, slot, loaded?.size ?? 0);
      },
      // A failed load is not cached: the next request tries again.
      () => {
        if (slots.peek(key) === slot) slots.delete(key);
      },
    );
    return value;
  };

  const refresh = (key: string, current: Slot, parse: (bytes: Uint8Array) => object) => {
    if (refreshing.has(key)) return;
    refreshing.add(key);
    const token = knownToken();
    (async () => {
      try {
        const next = await read(key, parse, await current.value);
        // Only if nothing replaced the slot meanwhile (an invalidate, a newer load).
        if (slots.peek(key) === current) {
          const slot: Slot = { at: Date.now(), value: Promise.resolve(next), token, loaded: next };
          slots.set(key, slot, next?.size ?? 0);
        }
      } catch (err) {
        // Keep serving the last valid record; the next stale request tries again.
        console.error(`weft: reloading ${key} failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        refreshing.delete(key);
      }
    })();
  };

  const record = async <T extends object>(
    key: string,
    parse: (bytes: Uint8Array) => T,
    keepMisses = true,
  ): Promise<T | null> => {
    // Made the most recently used.
    const slot = slots.get(key);
    // A ttl of 0 never serves a cached record: every request reads the store.
    if (!slot || ttlMs <= 0) {
      const loaded = await loadNow(key, parse);
      if (!loaded && !keepMisses && slots.peek(key)?.loaded === null) slots.delete(key);
      return (loaded?.parsed ?? null) as T | null;
    }
    if (!fresh(slot)) refresh(key, slot, parse);
    return ((await slot.value)?.parsed ?? null) as T | null;
  };

  const fresh = (slot: Slot): boolean => {
    const age = Date.now() - slot.at;
    return age < ttlMs || (slot.token === knownToken() && age < MAX_AGE_MS);
  };

  return {
    // A name that is not a valid one has no record (and never becomes a store key).
    module: async (name) =>
      NAME.test(name) ? record(moduleKey(name), (bytes) => parseModule(bytes, name)) : null,
    async version(name, version) {
      if (!NAME.test(name) || !VERSION.test(version)) return null;
      const parseCurrent = (bytes: Uint8Array) => parseModule(bytes, name);
      const current = await record(moduleKey(name), parseCurrent);
      if (current?.version === version) return current;
      const pinned = await record(
        versionKey(name, version),
        (bytes) => parsePinned(bytes, name, version),
        false,
      );
      if (pinned) return pinned;
      // Not kept yet: a version just published is current, and its snapshot follows the swap.
      const fresh = (await loadNow(moduleKey(name), parseCurrent))?.parsed as ModuleEntry | undefined;
      return fresh?.version === version ? fresh : null;
    },
    blob: async (blob) =>
      ADDRESS.test(blob) ? record(blobMetaKey(blob), (bytes) => parseBlobMeta(bytes, blob)) : null,
    peek(name) {
      const slot = ttlMs > 0 && NAME.test(name) ? slots.peek(moduleKey(name)) : undefined;
      return slot?.loaded && fresh(slot) ? (slot.loaded.parsed as ModuleEntry) : undefined;
    },
    bundle: async (id) =>
      BUNDLE_ID.test(id) ? record(bundleKey(id), (bytes) => parseBundle(bytes, id)) : null,
    modules: () => listing.get(),
    invalidate() {
      slots.clear();
      listing.clear();
    },
  };
}
