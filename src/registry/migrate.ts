/**
 * Upgrades a store written by an earlier version (one `manifest.json`, schemas 1 and 2) to one
 * record per module (schema 3), in place and losing nothing: every module, variant, bundle and
 * precompressed copy gets its record, a module already published in the new layout is left as it
 * is, and the old manifest is kept under `legacy/` rather than deleted. Idempotent, so two
 * processes (or isolates) upgrading at once give the same store.
 */
import { sha256, toHex } from '../contract/address.js';
import {
  blobMetaKey,
  bundleKey,
  LEGACY_MANIFEST_KEY,
  markChanged,
  moduleKey,
  parseLegacyManifest,
  serializeBlobMeta,
  serializeBundle,
  serializeModule,
} from './manifest.js';
import type { Store } from './store.js';

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
