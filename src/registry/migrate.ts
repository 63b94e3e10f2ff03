/**
 * Upgrades a store written by an earlier version (one `manifest.json`, schemas 1 and 2) to one
 * record per module (schema 3), in place and losing nothing: every module, variant, bundle and
 * precompressed copy gets its record, a module already published in the new layout is left as it
 * is, and the old manifest is kept under `legacy/` rather than deleted. Idempotent, so two
 * processes (or isolates) upgrading at once give the same store.
 */
import { sha256, toHex } from '../contract/address.js';
import { NAME, NAME_RULE } from '../contract/names.js';
import {
  blobMetaKey,
  bundleKey,
  LEGACY_MANIFEST_KEY,
  markChanged,
  moduleKey,
  parseJson,
  serializeBlobMeta,
  serializeBundle,
  serializeModule,
} from './records.js';
import {
  type Encodings,
  isObject,
  type ModuleEntry,
  need,
  type Variant,
  validateEncodings,
  validateModule,
} from './schema.js';
import type { Store } from './store.js';

/** The schemas of the one-file manifest of earlier versions, read only to upgrade it. */
const LEGACY_SCHEMAS: readonly number[] = [1, 2];

/** How many modules the upgrade wrote records for; null when the store had nothing to upgrade. */
export async function migrate(store: Store): Promise<number | null> {
  const legacy = await store.get(LEGACY_MANIFEST_KEY);
  if (!legacy) return null;
  // A bad manifest is a ManifestError naming the field, and nothing is changed.
  const manifest = parseLegacyManifest(legacy);
  const names = Object.keys(manifest.modules);
  for (const name of names) {
    const entry = manifest.modules[name]!;
    for (const { encodings, bundle, blob, size } of entry.variants) {
      await store.putIf(
        blobMetaKey(blob),
        serializeBlobMeta({ size, ...(encodings ? { encodings } : {}) }),
        null,
      );
      if (bundle) await store.putIf(bundleKey(bundle.id), serializeBundle(bundle), null);
    }
    const variants = entry.variants.map(({ encodings: _copies, ...variant }) => variant);
    // Only where absent: a module published since the upgrade began is newer than the old manifest.
    await store.putIf(moduleKey(name), serializeModule(name, { ...entry, variants }), null);
  }
  await store.put(`legacy/manifest-${toHex(await sha256(legacy)).slice(0, 16)}.json`, legacy);
  await store.delete(LEGACY_MANIFEST_KEY);
  await markChanged(store);
  return names.length;
}

const upgraded = new WeakMap<Store, Promise<unknown>>();

/** Runs {@link migrate} once per store object (again after a failure), before anything reads or writes records. */
export function ensureMigrated(store: Store): Promise<unknown> {
  let done = upgraded.get(store);
  if (!done) {
    done = migrate(store);
    upgraded.set(store, done);
    done.catch(() => upgraded.delete(store));
  }
  return done;
}

/** A module of the legacy one-file manifest: its variants may carry their blobs' precompressed copies. */
export type LegacyModule = Omit<ModuleEntry, 'variants'> & {
  variants: (Variant & { encodings?: Encodings })[];
};

/**
 * Parses and validates the one-file manifest of schemas 1 and 2, which only the upgrade reads.
 * Copies recorded with a bare size (`"br": 1234`, before copies carried their own hash) cannot be
 * checked, so they are forgotten (the identity bytes are served instead) rather than trusted.
 */
export function parseLegacyManifest(bytes: Uint8Array): {
  schema: number;
  modules: Record<string, LegacyModule>;
} {
  const data = parseJson(bytes, '(root)');
  need(isObject(data), '(root)', 'must be an object');
  need(
    LEGACY_SCHEMAS.includes(data.schema as number),
    'schema',
    `must be one of ${LEGACY_SCHEMAS.join(', ')} (the one-file manifests this server upgrades)`,
  );
  need(isObject(data.modules), 'modules', 'must be an object');
  for (const [name, entry] of Object.entries(data.modules)) {
    const at = `modules.${NAME.test(name) ? name : '(name)'}`;
    need(NAME.test(name), at, `module name ${NAME_RULE}`);
    validateModule(entry, at);
    entry.variants.forEach((v, i) => {
      const copies = (v as { encodings?: unknown }).encodings;
      if (copies === undefined) return;
      if (isObject(copies)) {
        for (const k of ['br', 'gzip']) if (typeof copies[k] === 'number') delete copies[k];
        if (Object.keys(copies).length === 0) {
          delete (v as { encodings?: unknown }).encodings;
          return;
        }
      }
      validateEncodings(copies, `${at}.variants[${i}].encodings`);
    });
  }
  return data as unknown as { schema: number; modules: Record<string, LegacyModule> };
}
