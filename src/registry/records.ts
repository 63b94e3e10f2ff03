/**
 * The registry's records in the store (contract.md), one small JSON record per thing, validated
 * on load (schema.ts): `modules/<name>.json` (a module, its version and its variants in preference
 * order), `versions/<name>/v<enc>.json` (a version's snapshot or tombstone), `blobs/sha256-<hex>.json`
 * (a blob's size and precompressed copies), `bundles/<id>.json` (a bundle's files). Blobs and bundle
 * files are content-addressed beside them. A publish rewrites one module record, so nothing a
 * request or a publish does grows with the number of modules. This is the one file that knows the
 * keys, and holds the one compare-and-swap every writer of a shared record goes through. Locks and
 * garbage collection keep their own bookkeeping keys (locks.ts, gc.ts); stores of one
 * `manifest.json` (schemas 1 and 2) are upgraded in place (migrate.ts).
 */
import { ADDRESS, addressOfHex, toHex } from '../contract/address.js';
import { encodeVersionKey, NAME, VERSION } from '../contract/names.js';
import { BUNDLE_ID, type Bundle } from './bundle.js';
import {
  type BlobMeta,
  type Encodings,
  isObject,
  type Json,
  ManifestError,
  type ModuleEntry,
  need,
  type Removed,
  SCHEMA,
  validateBundle,
  validateEncodings,
  validateModule,
} from './schema.js';
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

/** The content folders garbage collection sweeps; everything else (records, locks, `changes`) it never deletes. */
export const SWEPT_PREFIXES = ['blobs/', 'bundles/', 'files/'] as const;
/** The folders whose every record is a root of garbage collection. */
export const ROOT_PREFIXES = ['modules/', 'versions/'] as const;

const BLOB_KEY = /^blobs\/sha256-([0-9a-f]{64})\.(?:wasm|wasm\.br|wasm\.gz|json)$/;
const FILE_KEY = /^files\/sha256-([0-9a-f]{64})$/;
const BUNDLE_KEY = /^bundles\/([0-9a-f]{32})\.json$/;

/** A swept key by what names it; null for a key of no known shape (kept: never collect on a guess). */
export function contentOf(key: string): { hex: string } | { bundle: string } | null {
  const hex = BLOB_KEY.exec(key)?.[1] ?? FILE_KEY.exec(key)?.[1];
  if (hex) return { hex };
  const bundle = BUNDLE_KEY.exec(key)?.[1];
  return bundle ? { bundle } : null;
}

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

export function parseJson(bytes: Uint8Array, field: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ManifestError(field, 'is not valid JSON');
  }
}

const encode = (value: unknown): Uint8Array =>
  new TextEncoder().encode(`${JSON.stringify(value, null, 1)}\n`);

/** A module's record as stored. */
export function serializeModule(name: string, entry: ModuleEntry): Uint8Array {
  return encode({ schema: SCHEMA, name, ...entry });
}

/** A stored record's JSON: an object of this version's schema, else a ManifestError naming `at`. */
function openRecord(bytes: Uint8Array, at: string): Json {
  const data = parseJson(bytes, at);
  need(isObject(data), at, 'must be an object');
  need(data.schema === SCHEMA, `${at}.schema`, `must be ${SCHEMA} (the schema this server reads)`);
  return data;
}

/** Parses and validates the record stored for module `name` (`at`: the field errors are named from). */
export function parseModule(
  bytes: Uint8Array,
  name: string,
  at = `modules.${NAME.test(name) ? name : '(name)'}`,
): ModuleEntry {
  const data = openRecord(bytes, at);
  need(data.name === name, `${at}.name`, 'must be the name the record is stored under');
  const { schema: _schema, name: _name, ...entry } = data;
  validateModule(entry, at);
  return entry as unknown as ModuleEntry;
}

export const serializeBlobMeta = (meta: BlobMeta): Uint8Array => encode({ schema: SCHEMA, ...meta });

/** Parses and validates a blob's record. */
export function parseBlobMeta(bytes: Uint8Array, blob: string): BlobMeta {
  const at = `blobs.${ADDRESS.test(blob) ? blob : '(blob)'}`;
  const data = openRecord(bytes, at);
  need(
    Number.isSafeInteger(data.size) && (data.size as number) >= 0,
    `${at}.size`,
    'must be a non-negative integer',
  );
  if (data.encodings !== undefined) validateEncodings(data.encodings, `${at}.encodings`);
  return { size: data.size as number, ...(data.encodings ? { encodings: data.encodings as Encodings } : {}) };
}

export const serializeBundle = (bundle: Bundle): Uint8Array => encode({ schema: SCHEMA, ...bundle });

/** Parses and validates a bundle's record; its id must be the one it is stored under. */
export function parseBundle(bytes: Uint8Array, id: string): Bundle {
  const at = `bundles.${BUNDLE_ID.test(id) ? id : '(id)'}`;
  const data = openRecord(bytes, at);
  need(data.id === id, `${at}.id`, 'must be the id the record is stored under');
  const wasm = Array.isArray(data.files)
    ? (data.files as unknown[]).find((f) => isObject(f) && f.role === 'wasm')
    : undefined;
  const blob = isObject(wasm) ? addressOfHex(String(wasm.sha256)) : '';
  validateBundle(data, blob, at);
  const { schema: _schema, ...bundle } = data;
  return bundle as unknown as Bundle;
}

/** A version's snapshot as stored: the module record, and when it was published. */
export function serializeSnapshot(name: string, entry: ModuleEntry, published: string): Uint8Array {
  return encode({ schema: SCHEMA, name, ...entry, published });
}

export const serializeTombstone = (name: string, version: string, removed: string): Uint8Array =>
  encode({ schema: SCHEMA, name, version, removed });

/** Parses a version's record: its snapshot (the module record, `published` kept apart) or its tombstone. */
export function parseVersionRecord(
  bytes: Uint8Array,
  name: string,
  version: string,
): { entry: ModuleEntry; published: string | null } | Removed {
  const at = `versions.${NAME.test(name) ? name : '(name)'}.${VERSION.test(version) ? version : '(version)'}`;
  const data = parseJson(bytes, at);
  if (isObject(data) && 'removed' in data) {
    if (
      data.schema !== SCHEMA ||
      data.name !== name ||
      data.version !== version ||
      typeof data.removed !== 'string'
    )
      throw new ManifestError(at, 'must be a tombstone { schema, name, version, removed } of this version');
    return { version, removed: data.removed };
  }
  const { published, ...entry } = parseModule(bytes, name, at) as ModuleEntry & { published?: unknown };
  if (entry.version !== version)
    throw new ManifestError(`${at}.version`, 'must be the version it is stored under');
  return { entry, published: typeof published === 'string' ? published : null };
}

/** A version's record as the catalog keeps it: the module record it pins, or its tombstone. */
export function parsePinned(bytes: Uint8Array, name: string, version: string): ModuleEntry | Removed {
  const got = parseVersionRecord(bytes, name, version);
  return 'entry' in got ? got.entry : got;
}
