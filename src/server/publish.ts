/**
 * Publishing a variant: inspect the bytes, store them content-addressed (with precompressed copies
 * made now, not per request), then update the manifest in one atomic write. Used by `PUT` and by
 * `weft publish`.
 */
import { type InspectReport, inspect } from '../inspect/index.js';
import type { ThreadModel } from '../profile/caps.js';
import { type Ordering, orderVariants } from '../profile/order.js';
import type { PolyfillName } from '../profile/polyfills.js';
import { applyDeclaration, DeclarationError, type VariantDeclaration } from './declaration.js';
import { sha256, toHex } from './digest.js';
import {
  blobKey,
  emptyManifest,
  MANIFEST_KEY,
  MAX_VARIANTS,
  type Manifest,
  type ModuleEntry,
  moduleOf,
  parseManifest,
  serializeManifest,
  type Variant,
  validateManifest,
} from './manifest.js';
import { guard, type Store } from './store.js';

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
}

/** Variants of one module published together: inspected and checked first, then one manifest write. */
export interface PublishSetInput {
  module: string;
  /** The module's version; kept when omitted (a new module starts at 0.0.0). */
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

// One writer at a time per store within this process: read-modify-write of the manifest.
const locks = new WeakMap<Store, Promise<unknown>>();

/** Publishes one variant (see {@link publishSet}). */
export async function publish(
  store: Store,
  input: PublishInput,
  encoders: Encoders = { gzip: gzipEncoder },
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
  );
  const [only] = result.published;
  return { ...only!, entry: result.entry, ordering: result.ordering };
}

/**
 * Publishes variants of one module: inspects each (with its glue) and applies its declaration
 * before anything is written, so bad input publishes nothing; stores the blobs content-addressed
 * (with precompressed copies made now, not per request); then writes the manifest once, with the
 * module's variants ordered so that no build hides another (profile/order.ts).
 */
export function publishSet(
  store: Store,
  input: PublishSetInput,
  encoders: Encoders = { gzip: gzipEncoder },
): Promise<PublishSetResult> {
  const previous = locks.get(store) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(() => publishNow(store, input, encoders));
  locks.set(store, next);
  return next;
}

async function publishNow(
  store: Store,
  input: PublishSetInput,
  encoders: Encoders,
): Promise<PublishSetResult> {
  const names = input.variants.map((v) => v.variant);
  if (new Set(names).size !== names.length) throw new DeclarationError('variants', 'names a variant twice');
  const planned = input.variants.map((v, i) => {
    const report = inspect(v.bytes, { glue: v.glue });
    const declared = v.declaration ?? {};
    const at = input.variants.length > 1 ? `variants[${i}]` : '';
    return { input: v, report, declared, ...applyDeclaration(report, declared, at) };
  });

  const published: PublishSetResult['published'] = [];
  for (const p of planned) {
    const blob = `sha256-${toHex(await sha256(p.input.bytes))}`;
    const encodings = await storeBlob(store, blob, p.input.bytes, encoders);
    const variant: Variant = {
      name: p.input.variant,
      model: p.model,
      requires: p.requires,
      blob,
      size: p.input.bytes.length,
      polyfills: p.declared.polyfills ?? defaultPolyfills(p.model),
      ...(p.threads ? { threads: p.threads } : {}),
      ...(Object.keys(encodings).length ? { encodings } : {}),
    };
    published.push({ variant, report: p.report });
  }

  const current = await guard(store.driver, 'get', () => store.get(MANIFEST_KEY));
  const manifest: Manifest = current ? parseManifest(current) : emptyManifest();
  const entry: ModuleEntry = moduleOf(manifest, input.module) ?? {
    version: input.version ?? '0.0.0',
    variants: [],
  };
  if (input.version) entry.version = input.version;
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
  manifest.modules[input.module] = entry;
  validateManifest(manifest);
  await guard(store.driver, 'put', () => store.put(MANIFEST_KEY, serializeManifest(manifest)));
  return { entry, published, ordering };
}

/** Stores a blob and its precompressed copies (each smaller than the blob); returns the copies' records. */
async function storeBlob(
  store: Store,
  blob: string,
  bytes: Uint8Array,
  encoders: Encoders,
): Promise<NonNullable<Variant['encodings']>> {
  const encodings: NonNullable<Variant['encodings']> = {};
  await guard(store.driver, 'put', () => store.put(blobKey(blob), bytes));
  for (const [name, encode] of Object.entries(encoders) as [
    keyof Encoders,
    (b: Uint8Array) => Promise<Uint8Array>,
  ][]) {
    const packed = await encode(bytes);
    if (packed.length >= bytes.length) continue;
    await guard(store.driver, 'put', () => store.put(blobKey(blob, name), packed));
    // The copy's own hash: it is checked before the copy is served, like the blob's.
    encodings[name] = { size: packed.length, sha256: toHex(await sha256(packed)) };
  }
  return encodings;
}

/** Shared-everything glue expects thread-local globals, which no engine has natively yet. */
function defaultPolyfills(model: ThreadModel): PolyfillName[] {
  return model === 'shared-everything' ? ['thread-local-global'] : [];
}
