/**
 * Publishing a variant: inspect the bytes, store them content-addressed (with precompressed copies
 * made now, not per request), then update the manifest in one atomic write. Used by `PUT` and by
 * `weft publish`.
 */
import { type InspectReport, inspect } from '../inspect/index.js';
import type { Capability, ThreadModel } from '../profile/caps.js';
import type { PolyfillName } from '../profile/polyfills.js';
import { MODEL_RANK } from '../profile/select.js';
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

export interface PublishInput {
  module: string;
  variant: string;
  bytes: Uint8Array;
  /** The module's version; kept when omitted (a new module starts at 0.0.0). */
  version?: string;
  /** Overrides of what inspection derived. */
  requires?: Capability[];
  model?: ThreadModel;
  polyfills?: PolyfillName[];
}

export interface PublishResult {
  variant: Variant;
  entry: ModuleEntry;
  report: InspectReport;
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

export function publish(
  store: Store,
  input: PublishInput,
  encoders: Encoders = { gzip: gzipEncoder },
): Promise<PublishResult> {
  const previous = locks.get(store) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(() => publishNow(store, input, encoders));
  locks.set(store, next);
  return next;
}

async function publishNow(store: Store, input: PublishInput, encoders: Encoders): Promise<PublishResult> {
  const report = inspect(input.bytes);
  const blob = `sha256-${toHex(await sha256(input.bytes))}`;
  const encodings: NonNullable<Variant['encodings']> = {};
  await guard(store.driver, 'put', () => store.put(blobKey(blob), input.bytes));
  for (const [name, encode] of Object.entries(encoders) as [
    keyof Encoders,
    (b: Uint8Array) => Promise<Uint8Array>,
  ][]) {
    const packed = await encode(input.bytes);
    if (packed.length >= input.bytes.length) continue;
    await guard(store.driver, 'put', () => store.put(blobKey(blob, name), packed));
    // The copy's own hash: it is checked before the copy is served, like the blob's.
    encodings[name] = { size: packed.length, sha256: toHex(await sha256(packed)) };
  }
  const model = input.model ?? report.model;
  const variant: Variant = {
    name: input.variant,
    model,
    requires: input.requires ?? report.requires,
    blob,
    size: input.bytes.length,
    polyfills: input.polyfills ?? defaultPolyfills(model),
    ...(Object.keys(encodings).length ? { encodings } : {}),
  };

  const current = await guard(store.driver, 'get', () => store.get(MANIFEST_KEY));
  const manifest: Manifest = current ? parseManifest(current) : emptyManifest();
  const entry: ModuleEntry = moduleOf(manifest, input.module) ?? {
    version: input.version ?? '0.0.0',
    variants: [],
  };
  if (input.version) entry.version = input.version;
  entry.variants = place(entry.variants, variant);
  if (entry.variants.length > MAX_VARIANTS)
    throw new PublishError(`a module holds at most ${MAX_VARIANTS} variants`);
  manifest.modules[input.module] = entry;
  validateManifest(manifest);
  await guard(store.driver, 'put', () => store.put(MANIFEST_KEY, serializeManifest(manifest)));
  return { variant, entry, report };
}

/** Replaces a variant of the same name in place; otherwise inserts it before the first variant of its model or a less capable one (the newest build of a model is preferred). */
function place(variants: Variant[], variant: Variant): Variant[] {
  const at = variants.findIndex((v) => v.name === variant.name);
  if (at >= 0) return variants.map((v, i) => (i === at ? variant : v));
  const before = variants.findIndex((v) => MODEL_RANK[v.model] >= MODEL_RANK[variant.model]);
  const out = [...variants];
  out.splice(before < 0 ? out.length : before, 0, variant);
  return out;
}

/** Shared-everything glue expects thread-local globals, which no engine has natively yet. */
function defaultPolyfills(model: ThreadModel): PolyfillName[] {
  return model === 'shared-everything' ? ['thread-local-global'] : [];
}
