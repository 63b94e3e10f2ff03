/**
 * `GET /v1/modules`: every module's name, version and variants, read from one record each. Cached
 * like a record (catalog.ts): the last listing is answered while the next is read beside it.
 */
import { ensureMigrated } from './migrate.js';
import { MODULES_PREFIX, moduleKey, moduleNameOf, parseModule } from './records.js';
import type { Store } from './store.js';

/** A module as `GET /v1/modules` lists it. */
export interface ModuleSummary {
  name: string;
  version: string;
  variants: string[];
}

export interface Listing {
  get(): Promise<ModuleSummary[]>;
  clear(): void;
}

/** The modules' listing, read again at most once per `ttlMs` (every time with a ttl of 0). */
export function createListing(store: Store, ttlMs: number): Listing {
  let listed: { at: number; value: Promise<ModuleSummary[]> } | undefined;
  let relisting: Promise<void> | undefined;

  const list = async (): Promise<ModuleSummary[]> => {
    await ensureMigrated(store);
    const names = (await store.list(MODULES_PREFIX)).map(moduleNameOf).filter((n) => n !== null);
    const summaries: ModuleSummary[] = [];
    for (const name of names) {
      const bytes = await store.get(moduleKey(name));
      if (!bytes) continue;
      const entry = parseModule(bytes, name);
      summaries.push({ name, version: entry.version, variants: entry.variants.map((v) => v.name) });
    }
    return summaries;
  };

  const get = (): Promise<ModuleSummary[]> => {
    if (ttlMs <= 0) return list();
    const current = listed;
    if (!current) {
      const value = list();
      const entry = { at: Date.now(), value };
      listed = entry;
      value.catch(() => {
        if (listed === entry) listed = undefined;
      });
      return value;
    }
    if (Date.now() - current.at >= ttlMs && !relisting) {
      // Like a record: the old listing is answered while the new one is read.
      relisting = list()
        .then((fresh) => {
          if (listed === current) listed = { at: Date.now(), value: Promise.resolve(fresh) };
        })
        .catch((err) =>
          console.error(
            `weft: listing the modules failed: ${err instanceof Error ? err.message : String(err)}`,
          ),
        )
        .finally(() => {
          relisting = undefined;
        });
    }
    return current.value;
  };

  return {
    get,
    clear() {
      listed = undefined;
    },
  };
}
