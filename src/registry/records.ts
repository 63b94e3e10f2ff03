/**
 * The registry's records in the store: the one file that knows their keys, and the one
 * compare-and-swap every writer of a shared record goes through (read → apply → putIf → retry).
 * Locks and garbage collection keep their own bookkeeping keys (locks.ts, gc.ts).
 */
import { addressOfHex, toHex } from '../contract/address.js';
import { encodeVersionKey, NAME } from '../contract/names.js';
import { type Store, StoreError, type Versioned } from './store.js';

export const MODULES_PREFIX = 'modules/';
export const moduleKey = (name: string): string => `${MODULES_PREFIX}${name}.json`;
export const versionsPrefix = (name: string): string => `versions/${name}/`;
export const versionKey = (name: string, version: string): string =>
  `${versionsPrefix(name)}v${encodeVersionKey(version)}.json`;
export const blobMetaKey = (blob: string): string => `blobs/${blob}.json`;
export const blobKey = (blob: string, encoding?: 'br' | 'gzip'): string =>
  `blobs/${blob}.wasm${encoding ? `.${encoding === 'br' ? 'br' : 'gz'}` : ''}`;
export const bundleKey = (id: string): string => `bundles/${id}.json`;
/** A bundle file's bytes, by the lowercase hex SHA-256 of them. */
export const fileKey = (hex: string): string => `files/${addressOfHex(hex)}`;
/** The one-file manifest of schemas 1 and 2: read once to upgrade the store, then set aside. */
export const LEGACY_MANIFEST_KEY = 'manifest.json';
/**
 * A few bytes rewritten (a fresh random token) after every change a publish commits: a reader checks
 * this one key, not every record it holds, to know whether anything changed (catalog.ts).
 */
export const CHANGES_KEY = 'changes';

/** The module a record key names (`modules/demo.json` → `demo`), or null for any other key. */
export function moduleNameOf(key: string): string | null {
  const m = /^modules\/(.+)\.json$/.exec(key);
  return m && NAME.test(m[1]!) ? m[1]! : null;
}

/**
 * Tells readers something changed: a fresh token under CHANGES_KEY, written after the change is
 * committed (a few bytes, whatever the size of the registry; last writer wins, any new value will do).
 */
export async function markChanged(store: Store): Promise<void> {
  const token = new Uint8Array(12);
  crypto.getRandomValues(token);
  await store.put(CHANGES_KEY, new TextEncoder().encode(toHex(token)));
}

/** How often a compare-and-swap re-applies itself over what others wrote before it gives up (a 503). */
export const SWAP_TRIES = 50;

/** What one attempt decides: write these bytes (then answer `result`), or answer `result` writing nothing. */
export type Swap<T> = { write: Uint8Array; result: T } | { result: T };

/**
 * Updates one record by compare-and-swap: reads it with its version, lets `apply` decide from what
 * is there (parse, change, or nothing to do), writes only if nobody wrote since, and otherwise
 * reads again after a short random pause, so concurrent writers (other processes, other Workers
 * isolates) each apply themselves over the others and none is lost. After `SWAP_TRIES` lost races:
 * a StoreError saying `what` could not be done.
 */
export async function swapRecord<T>(
  store: Store,
  key: string,
  apply: (current: Versioned | null) => Swap<T> | Promise<Swap<T>>,
  what: string,
): Promise<T> {
  for (let attempt = 1; attempt <= SWAP_TRIES; attempt++) {
    const current = await store.getVersioned(key);
    const swap = await apply(current);
    if (!('write' in swap)) return swap.result;
    if (await store.putIf(key, swap.write, current?.version ?? null)) return swap.result;
    await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
  }
  throw new StoreError(`the record changed under ${SWAP_TRIES} tries to ${what}: try again`);
}
