/**
 * Publishing a variant: inspect the bytes, store them content-addressed, then rewrite the module's
 * one record in one compare-and-swap; precompressed copies are made after that commit, not per
 * request (served as identity until they exist). Used by `PUT` and by `weft publish`.
 */

import { addressOf, sha256, toHex } from '../contract/address.js';
import { isVersion, VERSION_RULE } from '../contract/names.js';
import { type InspectReport, inspect } from '../inspect/index.js';
import type { ThreadModel } from '../profile/caps.js';
import { type Ordering, orderVariants } from '../profile/order.js';
import type { PolyfillName } from '../profile/polyfills.js';
import { BUNDLE_PATH, type Bundle, bundleId, MAX_BUNDLE_FILES, missingReferences, roleOf } from './bundle.js';
import { applyDeclaration, DeclarationError, type VariantDeclaration } from './declaration.js';
import { missingImports } from './glue-imports.js';
import { leasedOnWrite } from './locks.js';
import { ensureMigrated } from './migrate.js';
import {
  blobKey,
  blobMetaKey,
  bundleKey,
  fileKey,
  markChanged,
  moduleKey,
  parseBlobMeta,
  parseModule,
  serializeBlobMeta,
  serializeBundle,
  serializeModule,
  swapRecord,
} from './records.js';
import { type Encodings, MAX_VARIANTS, type ModuleEntry, type Variant, validateEntry } from './schema.js';
import type { Store } from './store.js';
import { keepSnapshot, nextVersion } from './versions.js';

/** Publish-time compressors; gzip through CompressionStream works everywhere, brotli where the runtime has it. */
export type Encoders = Partial<Record<'br' | 'gzip', (bytes: Uint8Array) => Promise<Uint8Array>>>;

export const gzipEncoder = async (bytes: Uint8Array): Promise<Uint8Array> => {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
};

/** One variant of a publish: its wasm, and what the publisher declares about it. */
export interface VariantInput {
  variant: string;
  bytes: Uint8Array;
  /** What the publisher declares beside what inspection derived (declaration.ts). */
  declaration?: VariantDeclaration;
  /** The text of the glue shipped with the wasm (its `.js`/`.mjs`, worker scripts): read for evidence. */
  glue?: string[];
  /**
   * The whole build, published with the wasm as one bundle (manifest schema 2): every file under
   * the path the toolchain wrote, `wasmPath` naming the one whose bytes are `bytes`. Its glue and
   * worker files are read as evidence when `glue` is not given.
   */
  bundle?: BundleInput;
}

export interface BundleInput {
  wasmPath: string;
  /** What a loader imports; default: the glue named like the wasm, else the only glue, else the wasm. */
  entry?: string;
  files: BundleFileInput[];
}

/**
 * A file of a bundle: its bytes, stored by the publish; or `stored`, a file already in the store
 * under its content key (`files/sha256-<hex>`) and checked there by whoever hands it over (the
 * upload commit), so a publish need not hold every byte of a build nor write it again. The wasm and
 * the scripts (glue, workers, boot files) always come with their bytes: they are read as evidence.
 */
export interface BundleFileInput {
  path: string;
  bytes?: Uint8Array;
  stored?: { sha256: string; size: number };
}

/** Variants of one module published together: inspected and checked first, then one manifest write. */
export interface PublishSetInput {
  module: string;
  /** The module's version (docs/contract.md, Versions); omitted: a new module starts at 0.0.0, else the current one's `+N` goes up. */
  version?: string;
  variants: VariantInput[];
  /** Marks one variant (of this set or already published) as the module's fallback. */
  fallback?: string;
  /** Declares the module's preference order (variant names, most preferred first). */
  order?: string[];
}

export interface PublishSetResult {
  entry: ModuleEntry;
  published: { variant: Variant; report: InspectReport }[];
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

/** A publish the request itself makes impossible (not the store's fault): the HTTP answer is a 400. */
export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
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
  if (input.version !== undefined && !isVersion(input.version))
    throw new DeclarationError('version', VERSION_RULE);
  const names = input.variants.map((v) => v.variant);
  if (new Set(names).size !== names.length) throw new DeclarationError('variants', 'names a variant twice');
  const planned = input.variants.map((v, i) => {
    const at = input.variants.length > 1 ? `variants[${i}]` : '';
    const bundle = v.bundle ? planBundle(v.bundle, v.bytes, at) : undefined;
    const report = inspect(v.bytes, { glue: glueOf(v) });
    const declared = v.declaration ?? {};
    return { input: v, report, declared, bundle, ...applyDeclaration(report, declared, at) };
  });

  const published: PublishSetResult['published'] = [];
  const blobs: { blob: string; bytes: Uint8Array }[] = [];
  for (const p of planned) {
    const blob = await addressOf(p.input.bytes);
    await storeBlob(store, blob, p.input.bytes);
    blobs.push({ blob, bytes: p.input.bytes });
    const bundle = p.bundle ? await storeBundle(store, p.bundle) : undefined;
    const variant: Variant = {
      name: p.input.variant,
      model: p.model,
      requires: p.requires,
      blob,
      size: p.input.bytes.length,
      polyfills: p.declared.polyfills ?? defaultPolyfills(p.model),
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

/** Applies a publish to a module's record (in place): its version, variants, fallback, order. */
function apply(
  existing: ModuleEntry | undefined,
  input: PublishSetInput,
  published: PublishSetResult['published'],
): { entry: ModuleEntry; ordering: Ordering<Variant> } {
  // The version is chosen once the new record is known (versions.ts: nextVersion).
  const entry: ModuleEntry = existing ?? { version: '0.0.0', variants: [] };
  // A republished name keeps its place; new ones go first, so that where the ordering rule says
  // nothing, the newest publish is preferred.
  const fresh = published.map((p) => p.variant).filter((v) => !entry.variants.some((e) => e.name === v.name));
  const variants = [
    ...fresh,
    ...entry.variants.map((e) => published.find((p) => p.variant.name === e.name)?.variant ?? e),
  ];
  if (variants.length > MAX_VARIANTS)
    throw new PublishError(`a module holds at most ${MAX_VARIANTS} variants`);
  const known = (n: string) => variants.some((v) => v.name === n);
  if (input.fallback !== undefined) {
    if (!known(input.fallback))
      throw new DeclarationError('fallback', 'names a variant the module does not have');
    entry.fallback = input.fallback;
  }
  if (input.order) {
    if (!input.order.every(known) || new Set(input.order).size !== input.order.length)
      throw new DeclarationError('order', 'must list variants of the module, each once');
    entry.order = input.order;
  }
  const ordering = orderVariants(variants, entry.order);
  entry.variants = ordering.variants;
  validateEntry(entry, input.module);
  return { entry, ordering };
}

/** A bundle's scripts (glue, workers, boot files) with their text: what its wasm is read beside. */
function scriptsOf(input: BundleInput): { path: string; text: string }[] {
  return input.files
    .filter((f) => ['glue', 'worker', 'boot'].includes(roleOf(f.path, input.wasmPath)))
    .map((f) => {
      if (!f.bytes) throw new Error(`publish: script ${f.path} was handed over without its bytes`);
      return { path: f.path, text: new TextDecoder().decode(f.bytes) };
    });
}

/** The glue a variant's wasm is inspected with: what was given, else its bundle's scripts. */
export function glueOf(v: VariantInput): string[] {
  return v.glue ?? (v.bundle ? scriptsOf(v.bundle).map((g) => g.text) : []);
}

interface PlannedBundle {
  input: BundleInput;
  entry: string;
  glue: { path: string; text: string }[];
}

/**
 * Checks a bundle before anything is written: plain relative paths, each once, within the limit;
 * the wasm among them with exactly the variant's bytes; every file its glue names present.
 */
function planBundle(input: BundleInput, wasm: Uint8Array, at: string): PlannedBundle {
  const field = (name: string) => (at ? `${at}.${name}` : name);
  const paths = input.files.map((f) => f.path);
  if (paths.length === 0 || paths.length > MAX_BUNDLE_FILES)
    throw new DeclarationError(field('files'), `must hold 1 to ${MAX_BUNDLE_FILES} files`);
  const bad = paths.find((p) => !BUNDLE_PATH.test(p) || p.length > 512);
  if (bad !== undefined)
    throw new DeclarationError(field('files'), 'holds a path that is not a plain relative path');
  if (new Set(paths).size !== paths.length) throw new DeclarationError(field('files'), 'names a file twice');
  const own = input.files.find((f) => f.path === input.wasmPath);
  if (!own?.bytes || !sameBytes(own.bytes, wasm))
    throw new DeclarationError(field('file'), "is not among the bundle's files with the variant's bytes");
  const glue = scriptsOf(input);
  const missing = [
    ...new Set([...missingReferences(input.files, glue), ...missingImports(input.files, glue)]),
  ];
  if (missing.length)
    throw new DeclarationError(
      field('files'),
      `the glue loads ${missing.length === 1 ? 'a file' : `${missing.length} files`} the bundle does not hold (${missing.slice(0, 3).map(plain).join(', ')})`,
    );
  const stem = input.wasmPath.replace(/(_bg)?\.wasm$/, '');
  const glueFiles = glue.filter((g) => roleOf(g.path, input.wasmPath) === 'glue').map((g) => g.path);
  const entry =
    input.entry ??
    glueFiles.find((p) => /\.(m|c)?js$/.test(p) && p.replace(/\.(m|c)?js$/, '') === stem) ??
    (glueFiles.length === 1 ? glueFiles[0] : undefined) ??
    input.wasmPath;
  if (!paths.includes(entry)) throw new DeclarationError(field('entry'), "must be one of the bundle's files");
  return { input, entry, glue };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const plain = (path: string) => (/^[A-Za-z0-9._/-]{1,80}$/.test(path) ? path : '(a file)');

/** Stores each file of a bundle content-addressed (the wasm is the variant's blob) and returns its record. */
async function storeBundle(store: Store, planned: PlannedBundle): Promise<Bundle> {
  const files: Bundle['files'] = [];
  for (const f of planned.input.files) {
    const role = roleOf(f.path, planned.input.wasmPath);
    if (f.stored) {
      files.push({ path: f.path, role, size: f.stored.size, sha256: f.stored.sha256 });
      continue;
    }
    if (!f.bytes) throw new Error(`publish: file ${f.path} has neither bytes nor a stored copy`);
    const hex = toHex(await sha256(f.bytes));
    if (role !== 'wasm') await store.put(fileKey(hex), f.bytes);
    files.push({ path: f.path, role, size: f.bytes.length, sha256: hex });
  }
  const bundle = { id: await bundleId(files, planned.entry), entry: planned.entry, files };
  // Content-addressed: the same id always records the same files, so rewriting it is harmless (and heals a damaged one).
  await store.put(bundleKey(bundle.id), serializeBundle(bundle));
  return bundle;
}

/** Stores a blob and its record (kept when a valid one exists: it may list copies made earlier). */
async function storeBlob(store: Store, blob: string, bytes: Uint8Array): Promise<void> {
  await store.put(blobKey(blob), bytes);
  await swapRecord(
    store,
    blobMetaKey(blob),
    (current) =>
      current && valid(() => parseBlobMeta(current.value, blob))
        ? { result: undefined }
        : { write: serializeBlobMeta({ size: bytes.length }), result: undefined },
    `record blob ${blob}`,
  );
}

const valid = (parse: () => unknown): boolean => {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
};

/**
 * Makes a blob's precompressed copies (each smaller than the blob) that its record does not list
 * yet, stores each, then records it with its own hash (checked before the copy is served): until
 * then the identity bytes are served, and a copy is never listed before it is whole.
 */
export async function storeCopies(
  store: Store,
  blob: string,
  bytes: Uint8Array,
  encoders: Encoders,
): Promise<void> {
  const key = blobMetaKey(blob);
  const before = await store.get(key);
  const listed = before ? parseBlobMeta(before, blob).encodings : undefined;
  const made: Encodings = {};
  for (const [name, encode] of Object.entries(encoders) as [
    keyof Encoders,
    (b: Uint8Array) => Promise<Uint8Array>,
  ][]) {
    if (listed?.[name]) continue;
    const packed = await encode(bytes);
    if (packed.length >= bytes.length) continue;
    await store.put(blobKey(blob, name), packed);
    made[name] = { size: packed.length, sha256: toHex(await sha256(packed)) };
  }
  if (!Object.keys(made).length) return;
  // Another publisher may record copies meanwhile: merge with what is there.
  await swapRecord(
    store,
    key,
    (current) => {
      const meta = current ? parseBlobMeta(current.value, blob) : { size: bytes.length };
      const encodings = { ...made, ...meta.encodings };
      return { write: serializeBlobMeta({ ...meta, encodings }), result: undefined };
    },
    `list the copies of blob ${blob}`,
  );
}

/** Shared-everything glue expects thread-local globals, which no engine has natively yet. */
function defaultPolyfills(model: ThreadModel): PolyfillName[] {
  return model === 'shared-everything' ? ['thread-local-global'] : [];
}
