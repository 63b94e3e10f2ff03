/**
 * The pure half of a publish: every check of the input that needs no store (names, versions,
 * bundles and the files their glue loads, declarations over inspection), and how a publish changes
 * a module's record. Nothing here writes, so bad input publishes nothing.
 */
import { isVersion, VERSION_RULE } from '../contract/names.js';
import { type InspectReport, inspect } from '../inspect/index.js';
import type { ThreadModel } from '../profile/caps.js';
import { type Ordering, orderVariants } from '../profile/order.js';
import type { PolyfillName } from '../profile/polyfills.js';
import { BUNDLE_PATH, MAX_BUNDLE_FILES, missingReferences, roleOf } from './bundle.js';
import { applyDeclaration, DeclarationError, type VariantDeclaration } from './declaration.js';
import { missingImports } from './glue-imports.js';
import { MAX_VARIANTS, type ModuleEntry, type Variant, validateEntry } from './schema.js';

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
 * A stored file handed over without its bytes comes with its `pieces` (contract/pieces.ts) when it
 * has more than one, computed by whoever read and checked the stored bytes, never by a client.
 */
export interface BundleFileInput {
  path: string;
  bytes?: Uint8Array;
  stored?: { sha256: string; size: number; pieces?: string };
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

/** A publish the request itself makes impossible (not the store's fault): the HTTP answer is a 400. */
export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

/** A variant checked and inspected, ready to store: what its record will say of it. */
export type PlannedVariant = ReturnType<typeof planVariant>;

function planVariant(v: VariantInput, at: string) {
  const bundle = v.bundle ? planBundle(v.bundle, v.bytes, at) : undefined;
  const report = inspect(v.bytes, { glue: glueOf(v) });
  const declared = v.declaration ?? {};
  const applied = applyDeclaration(report, declared, at);
  return {
    input: v,
    report,
    bundle,
    ...applied,
    polyfills: declared.polyfills ?? defaultPolyfills(applied.model),
  };
}

/** Checks and inspects every variant of a publish before anything is written (errors name the field). */
export function planVariants(input: PublishSetInput): PlannedVariant[] {
  if (input.version !== undefined && !isVersion(input.version))
    throw new DeclarationError('version', VERSION_RULE);
  const names = input.variants.map((v) => v.variant);
  if (new Set(names).size !== names.length) throw new DeclarationError('variants', 'names a variant twice');
  return input.variants.map((v, i) => planVariant(v, input.variants.length > 1 ? `variants[${i}]` : ''));
}

/** A variant as published: its record, and what inspecting it found. */
export interface Published {
  variant: Variant;
  report: InspectReport;
}

/** Applies a publish to a module's record (in place): its version, variants, fallback, order. */
export function apply(
  existing: ModuleEntry | undefined,
  input: PublishSetInput,
  published: Published[],
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

export interface PlannedBundle {
  input: BundleInput;
  entry: string;
  glue: { path: string; text: string }[];
}

/**
 * Checks a bundle before anything is written: plain relative paths, each once, within the limit;
 * the wasm among them with exactly the variant's bytes; every file its glue names present.
 */
export function planBundle(input: BundleInput, wasm: Uint8Array, at: string): PlannedBundle {
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

/** Shared-everything glue expects thread-local globals, which no engine has natively yet. */
function defaultPolyfills(model: ThreadModel): PolyfillName[] {
  return model === 'shared-everything' ? ['thread-local-global'] : [];
}
