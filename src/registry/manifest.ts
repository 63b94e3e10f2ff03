/**
 * The manifest (contract.md): modules, their versions, and variants in preference order. Validated
 * on load; an error names the field (`modules.demo.variants[1].blob`), never dumps a stack.
 */
import { type Capability, isCapability, THREAD_MODELS, type ThreadModel } from '../profile/caps.js';
import { isPolyfill, type PolyfillName } from '../profile/polyfills.js';
import { BUNDLE_ID, BUNDLE_PATH, type Bundle, MAX_BUNDLE_FILES, ROLES } from './bundle.js';

/** The schema this version writes. Schema 1 (no bundles) is read and upgraded on the next write. */
export const SCHEMA = 2;
const READABLE_SCHEMAS: readonly number[] = [1, 2];
export const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const BLOB = /^sha256-[0-9a-f]{64}$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** Most variants one module may hold. */
export const MAX_VARIANTS = 32;

export interface Variant {
  name: string;
  model: ThreadModel;
  /** Capabilities it needs: derived by inspecting the binary, overridable at publish. */
  requires: Capability[];
  /** Content address of the bytes: `sha256-<hex>`. */
  blob: string;
  size: number;
  polyfills: PolyfillName[];
  /** `optional`: the build also runs on one thread, and is chosen for profiles without threads too. */
  threads?: 'optional';
  /** The whole build (schema 2): its wasm (the blob above), glue, workers and data, published as one. */
  bundle?: Bundle;
  /** Precompressed copies stored beside the blob, each with its own size and hash (checked before it is served). */
  encodings?: { br?: EncodedCopy; gzip?: EncodedCopy };
}

/** A precompressed copy of a blob: its length and the lowercase hex SHA-256 of the compressed bytes. */
export interface EncodedCopy {
  size: number;
  sha256: string;
}

export interface ModuleEntry {
  version: string;
  /** A variant served even when the profile lacks what it requires (otherwise: 406). */
  fallback?: string;
  /** A declared preference order (variant names); the rest follow by the automatic rule (profile/order.ts). */
  order?: string[];
  variants: Variant[];
}

export interface Manifest {
  schema: 1 | 2;
  modules: Record<string, ModuleEntry>;
}

export class ManifestError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`manifest: ${field}: ${problem}`);
    this.name = 'ManifestError';
  }
}

export const emptyManifest = (): Manifest => ({ schema: SCHEMA, modules: {} });

/** Schema 1 is schema 2 without bundles: the upgrade is the number, written with the next publish. */
export function upgrade(manifest: Manifest): Manifest {
  manifest.schema = SCHEMA;
  return manifest;
}

/**
 * A module by name, own entries only: `modules.constructor` would otherwise be `Object` itself
 * (`constructor` is a valid module name), a 500 on read and a write onto `Object` at publish.
 */
export function moduleOf(manifest: Manifest, name: string): ModuleEntry | undefined {
  return Object.hasOwn(manifest.modules, name) ? manifest.modules[name] : undefined;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function need(ok: boolean, field: string, problem: string): asserts ok {
  if (!ok) throw new ManifestError(field, problem);
}

/** Checks parsed JSON and returns it typed; throws ManifestError naming the first bad field. */
export function validateManifest(data: unknown): Manifest {
  need(isObject(data), '(root)', 'must be an object');
  need(
    READABLE_SCHEMAS.includes(data.schema as number),
    'schema',
    `must be one of ${READABLE_SCHEMAS.join(', ')} (the schemas this server reads)`,
  );
  need(isObject(data.modules), 'modules', 'must be an object');
  for (const [name, entry] of Object.entries(data.modules)) {
    const at = `modules.${NAME.test(name) ? name : '(name)'}`;
    need(NAME.test(name), at, 'module name must match [a-z0-9][a-z0-9._-]{0,63}');
    validateModule(entry, at);
  }
  return data as unknown as Manifest;
}

function validateModule(entry: unknown, at: string): void {
  need(isObject(entry), at, 'must be an object');
  need(
    typeof entry.version === 'string' && entry.version.length > 0 && entry.version.length <= 64,
    `${at}.version`,
    'must be a string of 1 to 64 characters',
  );
  need(
    Array.isArray(entry.variants) && entry.variants.length > 0,
    `${at}.variants`,
    'must be a non-empty array',
  );
  need(entry.variants.length <= MAX_VARIANTS, `${at}.variants`, `must have at most ${MAX_VARIANTS} variants`);
  const names = new Set<string>();
  entry.variants.forEach((v: unknown, i: number) => {
    const vat = `${at}.variants[${i}]`;
    validateVariant(v, vat);
    need(!names.has(v.name), `${vat}.name`, 'duplicates an earlier variant');
    names.add(v.name);
  });
  if (entry.order !== undefined) {
    need(
      Array.isArray(entry.order) &&
        entry.order.every((n) => typeof n === 'string' && names.has(n)) &&
        new Set(entry.order).size === entry.order.length,
      `${at}.order`,
      'must list some of its variants, each once',
    );
  }
  if (entry.fallback !== undefined) {
    need(
      typeof entry.fallback === 'string' && names.has(entry.fallback),
      `${at}.fallback`,
      'must name one of its variants',
    );
  }
}

function validateVariant(v: unknown, at: string): asserts v is Variant {
  need(isObject(v), at, 'must be an object');
  need(typeof v.name === 'string' && NAME.test(v.name), `${at}.name`, 'must match [a-z0-9][a-z0-9._-]{0,63}');
  need(
    (THREAD_MODELS as readonly unknown[]).includes(v.model),
    `${at}.model`,
    `must be one of ${THREAD_MODELS.join(', ')}`,
  );
  need(
    Array.isArray(v.requires) && v.requires.every((c) => typeof c === 'string' && isCapability(c)),
    `${at}.requires`,
    'must be an array of known capability names',
  );
  need(typeof v.blob === 'string' && BLOB.test(v.blob), `${at}.blob`, 'must be sha256-<64 lowercase hex>');
  need(
    Number.isSafeInteger(v.size) && (v.size as number) >= 0,
    `${at}.size`,
    'must be a non-negative integer',
  );
  need(
    Array.isArray(v.polyfills) && v.polyfills.every((p) => typeof p === 'string' && isPolyfill(p)),
    `${at}.polyfills`,
    'must be an array of known polyfill names',
  );
  need(
    v.threads === undefined || v.threads === 'optional',
    `${at}.threads`,
    'must be "optional" when present',
  );
  if (v.bundle !== undefined) validateBundle(v.bundle, v.blob as string, `${at}.bundle`);
  if (v.encodings !== undefined) {
    need(isObject(v.encodings), `${at}.encodings`, 'must be an object mapping br/gzip to copies');
    for (const [k, copy] of Object.entries(v.encodings)) {
      const cat = `${at}.encodings.${k === 'br' || k === 'gzip' ? k : '(name)'}`;
      need(k === 'br' || k === 'gzip', cat, 'only br and gzip copies are known');
      need(isObject(copy), cat, 'must be an object { size, sha256 }');
      need(
        Number.isSafeInteger(copy.size) && (copy.size as number) >= 0,
        `${cat}.size`,
        'must be a non-negative integer',
      );
      need(
        typeof copy.sha256 === 'string' && HEX64.test(copy.sha256),
        `${cat}.sha256`,
        'must be 64 lowercase hex',
      );
    }
  }
}

/**
 * A bundle's record: its files unique and well-named, its entry one of them, and exactly one file
 * in the `wasm` role, which is the variant's own blob: a glue is never paired with another build's wasm.
 */
function validateBundle(b: unknown, blob: string, at: string): void {
  need(isObject(b), at, 'must be an object { id, entry, files }');
  need(typeof b.id === 'string' && BUNDLE_ID.test(b.id), `${at}.id`, 'must be 32 lowercase hex');
  need(
    Array.isArray(b.files) && b.files.length > 0 && b.files.length <= MAX_BUNDLE_FILES,
    `${at}.files`,
    `must be an array of 1 to ${MAX_BUNDLE_FILES} files`,
  );
  const paths = new Set<string>();
  let wasm = 0;
  b.files.forEach((f: unknown, i: number) => {
    const fat = `${at}.files[${i}]`;
    need(isObject(f), fat, 'must be an object { path, role, size, sha256 }');
    need(
      typeof f.path === 'string' && f.path.length <= 512 && BUNDLE_PATH.test(f.path),
      `${fat}.path`,
      'must be a relative path of plain segments',
    );
    need(!paths.has(f.path), `${fat}.path`, 'duplicates an earlier file');
    paths.add(f.path);
    need((ROLES as readonly unknown[]).includes(f.role), `${fat}.role`, `must be one of ${ROLES.join(', ')}`);
    need(
      Number.isSafeInteger(f.size) && (f.size as number) >= 0,
      `${fat}.size`,
      'must be a non-negative integer',
    );
    need(typeof f.sha256 === 'string' && HEX64.test(f.sha256), `${fat}.sha256`, 'must be 64 lowercase hex');
    if (f.role === 'wasm') {
      wasm++;
      need(`sha256-${f.sha256}` === blob, `${fat}.sha256`, "must be the variant's blob (its own wasm)");
    }
  });
  need(wasm === 1, `${at}.files`, 'must hold exactly one file in the wasm role');
  need(typeof b.entry === 'string' && paths.has(b.entry), `${at}.entry`, 'must be one of its files');
}

/** Parses and validates manifest bytes from a store. */
export function parseManifest(bytes: Uint8Array): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ManifestError('(root)', 'is not valid JSON');
  }
  return validateManifest(dropUnhashedCopies(data));
}

/**
 * Manifests written before copies carried their own hash recorded a bare size (`"br": 1234`).
 * Such a copy cannot be checked, so it is forgotten (the identity bytes are served instead) rather
 * than trusted; the next publish of that module writes the manifest without it.
 */
function dropUnhashedCopies(data: unknown): unknown {
  if (!isObject(data) || !isObject(data.modules)) return data;
  for (const entry of Object.values(data.modules)) {
    if (!isObject(entry) || !Array.isArray(entry.variants)) continue;
    for (const v of entry.variants) {
      if (!isObject(v) || !isObject(v.encodings)) continue;
      const copies = v.encodings;
      for (const k of ['br', 'gzip']) if (typeof copies[k] === 'number') delete copies[k];
      if (Object.keys(copies).length === 0) delete v.encodings;
    }
  }
  return data;
}

export function serializeManifest(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

export const blobKey = (blob: string, encoding?: 'br' | 'gzip'): string =>
  `blobs/${blob}.wasm${encoding ? `.${encoding === 'br' ? 'br' : 'gz'}` : ''}`;
export const MANIFEST_KEY = 'manifest.json';
