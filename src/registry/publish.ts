/**
 * Publishing a variant: inspect the bytes, store them content-addressed, then rewrite the module's
 * one record in one compare-and-swap; precompressed copies are made after that commit, not per
 * request (served as identity until they exist). Used by `PUT` and by `weft publish`.
 */

import { addressOf, sha256, toHex } from '../contract/address.js';
import { PIECE_SIZE, piecesOf } from '../contract/pieces.js';
import type { InspectReport } from '../inspect/index.js';
import type { Ordering } from '../profile/order.js';
import { type Bundle, bundleId, roleOf } from './bundle.js';
import { type Encoders, gzipEncoder, storeBlob, storeCopies } from './copies.js';
import { leasedOnWrite } from './locks.js';
import { ensureMigrated } from './migrate.js';
import {
  apply,
  type BundleFileInput,
  type PlannedBundle,
  type Published,
  type PublishSetInput,
  planVariants,
  type VariantInput,
} from './plan.js';
import {
  bundleKey,
  fileKey,
  markChanged,
  moduleKey,
  parseModule,
  serializeBundle,
  serializeModule,
  swapRecord,
} from './records.js';
import { type ModuleEntry, type Variant, validateEntry } from './schema.js';
import type { Store } from './store.js';
import { keepSnapshot, nextVersion } from './versions.js';

export interface PublishSetResult {
  entry: ModuleEntry;
  published: Published[];
  /** The module's variants in their new order, why, and any that no profile can get. */
  ordering: Ordering<Variant>;
}

/** One variant on its own (`PUT`): `fallback: true` marks it as the module's fallback. */
export interface PublishInput extends VariantInput {
  module: string;
  version?: string;
  fallback?: boolean;
  order?: string[];
}

export interface PublishResult {
  variant: Variant;
  entry: ModuleEntry;
  report: InspectReport;
  ordering: Ordering<Variant>;
}

// One writer at a time per store within this process (fewer compare-and-swap retries); across
// processes and isolates, the manifest's compare-and-swap keeps every publish.
const locks = new WeakMap<Store, Promise<unknown>>();

/** Publishes one variant (see {@link publishSet}). */
export async function publish(
  store: Store,
  input: PublishInput,
  encoders: Encoders = { gzip: gzipEncoder },
  defer?: Defer,
): Promise<PublishResult> {
  const { module, version, fallback, order, ...variant } = input;
  const result = await publishSet(
    store,
    {
      module,
      variants: [variant],
      ...(version ? { version } : {}),
      ...(fallback ? { fallback: variant.variant } : {}),
      ...(order ? { order } : {}),
    },
    encoders,
    defer,
  );
  const [only] = result.published;
  return { ...only!, entry: result.entry, ordering: result.ordering };
}

/**
 * Where the precompressed copies are made once the publish is committed: without one, the publish
 * waits for them (the CLI); a server hands them on (`waitUntil` on Workers) and answers at once.
 */
export type Defer = (copies: Promise<void>) => void;

/**
 * Publishes variants of one module: inspects each (with its glue) and applies its declaration
 * before anything is written, so bad input publishes nothing; stores the blobs content-addressed;
 * then rewrites the module's record once, with its variants ordered so that no build hides another
 * (profile/order.ts); then makes the blobs' precompressed copies (see {@link Defer}).
 */
export async function publishSet(
  store: Store,
  input: PublishSetInput,
  encoders: Encoders = { gzip: gzipEncoder },
  defer?: Defer,
): Promise<PublishSetResult> {
  // A publish lease (locks.ts) from its first write to its last, the later copies included:
  // garbage collection never sweeps while it is held. Checking the input writes nothing.
  const leased = leasedOnWrite(store);
  let handed = false;
  try {
    const previous = locks.get(store) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => publishNow(leased.store, input));
    locks.set(store, next);
    const { result, blobs } = await next;
    await markChanged(leased.store);
    const copies = (async () => {
      for (const { blob, bytes } of blobs) await storeCopies(leased.store, blob, bytes, encoders);
      await markChanged(leased.store);
    })().finally(() => leased.release());
    handed = true;
    if (defer) defer(copies);
    else await copies;
    return result;
  } finally {
    if (!handed) await leased.release();
  }
}

async function publishNow(
  store: Store,
  input: PublishSetInput,
): Promise<{ result: PublishSetResult; blobs: { blob: string; bytes: Uint8Array }[] }> {
  await ensureMigrated(store);
  const planned = planVariants(input);
  const published: Published[] = [];
  const blobs: { blob: string; bytes: Uint8Array }[] = [];
  for (const p of planned) {
    const blob = await addressOf(p.input.bytes);
    // Computed here from the bytes stored, never taken from the publisher: as trusted as `blob`.
    const pieces = await piecesOf(p.input.bytes);
    await storeBlob(store, blob, p.input.bytes);
    blobs.push({ blob, bytes: p.input.bytes });
    const bundle = p.bundle ? await storeBundle(store, p.bundle, pieces) : undefined;
    const variant: Variant = {
      name: p.input.variant,
      model: p.model,
      requires: p.requires,
      blob,
      size: p.input.bytes.length,
      ...(pieces ? { pieces } : {}),
      polyfills: p.polyfills,
      ...(p.threads ? { threads: p.threads } : {}),
      ...(p.hosts ? { hosts: p.hosts } : {}),
      ...(bundle ? { bundle } : {}),
    };
    published.push({ variant, report: p.report });
  }

  // Compare-and-swap on the module's record: a publish that lost the race to another publisher
  // (another process, another Workers isolate) reads what that one committed and applies itself
  // again, so neither is lost. Publishers of other modules never meet here.
  const { version: asked, ...unversioned } = input;
  const committed = await swapRecord<{ result: PublishSetResult; written: boolean }>(
    store,
    moduleKey(input.module),
    async (current) => {
      // A record that fails validation is a ManifestError (503): publishing over it would lose its variants.
      const outgoing = current ? parseModule(current.value, input.module) : undefined;
      const { entry, ordering } = apply(
        current ? parseModule(current.value, input.module) : undefined,
        unversioned,
        published,
      );
      const version = await nextVersion(store, input.module, outgoing, entry, asked);
      // Nothing changed (an identical retry, or a publish of what is there): no new version.
      if (version === null)
        return { result: { result: { entry: outgoing!, published, ordering }, written: false } };
      entry.version = version;
      validateEntry(entry, input.module);
      // The invariant (versions.ts): the outgoing version keeps its snapshot before the swap replaces it.
      if (outgoing) await keepSnapshot(store, input.module, outgoing);
      const write = serializeModule(input.module, entry);
      return { write, result: { result: { entry, published, ordering }, written: true } };
    },
    `publish module ${input.module}`,
  );
  if (committed.written) await keepSnapshot(store, input.module, committed.result.entry);
  return { result: committed.result, blobs };
}

/**
 * Stores each file of a bundle content-addressed (the wasm is the variant's blob) and returns its
 * record, with each file's pieces (see {@link piecesOfFile}).
 */
async function storeBundle(
  store: Store,
  planned: PlannedBundle,
  wasmPieces: string | undefined,
): Promise<Bundle> {
  const files: Bundle['files'] = [];
  for (const f of planned.input.files) {
    const role = roleOf(f.path, planned.input.wasmPath);
    const pieces = role === 'wasm' ? wasmPieces : await piecesOfFile(f);
    const also = pieces ? { pieces } : {};
    if (f.stored) {
      files.push({ path: f.path, role, size: f.stored.size, sha256: f.stored.sha256, ...also });
      continue;
    }
    if (!f.bytes) throw new Error(`publish: file ${f.path} has neither bytes nor a stored copy`);
    const hex = toHex(await sha256(f.bytes));
    if (role !== 'wasm') await store.put(fileKey(hex), f.bytes);
    files.push({ path: f.path, role, size: f.bytes.length, sha256: hex, ...also });
  }
  const bundle = { id: await bundleId(files, planned.entry), entry: planned.entry, files };
  // Content-addressed: the same id always records the same files, so rewriting it is harmless (and heals a damaged one).
  await store.put(bundleKey(bundle.id), serializeBundle(bundle));
  return bundle;
}

/**
 * A bundle file's pieces: from its bytes when it comes with them; else (a stored file handed over
 * alone) those computed by whoever read the stored bytes (the commit), never a client's.
 */
async function piecesOfFile(f: BundleFileInput): Promise<string | undefined> {
  if (f.bytes) return piecesOf(f.bytes);
  if (f.stored && f.stored.size > PIECE_SIZE && !f.stored.pieces)
    throw new Error(`publish: stored file ${f.path} was handed over without its bytes or its pieces`);
  return f.stored?.pieces;
}
