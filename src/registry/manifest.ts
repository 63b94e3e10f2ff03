/**
 * What the registry records (contract.md), one small JSON record per thing, each validated on load
 * with an error that names the field (`modules.demo.variants[1].blob`), never a stack:
 * - `modules/<name>.json`: a module, its version and its variants in preference order (schema 3);
 * - `blobs/sha256-<hex>.json`: a blob's size and its precompressed copies;
 * - `bundles/<id>.json`: a variant bundle's files.
 * Blobs and bundle files are content-addressed beside them. A publish rewrites one module record,
 * so nothing a request or a publish does grows with the number of modules. Stores written before
 * (one `manifest.json`, schemas 1 and 2) are read once and upgraded in place (migrate.ts).
 */

import { ADDRESS, addressOfHex, HEX64 } from '../contract/address.js';
import { NAME, VERSION, VERSION_RULE } from '../contract/names.js';
import {
  type Capability,
  isCapability,
  isVariantHost,
  THREAD_MODELS,
  type ThreadModel,
  VARIANT_HOSTS,
  type VariantHost,
} from '../profile/caps.js';
import { isPolyfill, type PolyfillName } from '../profile/polyfills.js';
import { BUNDLE_ID, BUNDLE_PATH, type Bundle, MAX_BUNDLE_FILES, ROLES } from './bundle.js';

/** The schema of the records this version writes. */
export const SCHEMA = 3;
/** The schemas of the one-file manifest of earlier versions, read only to upgrade it. */
const LEGACY_SCHEMAS: readonly number[] = [1, 2];

export { NAME };
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
  /** The hosts it is declared for: never served on another (nor on `unknown`). Absent: every host. */
  hosts?: VariantHost[];
  /** The whole build: its wasm (the blob above), glue, workers and data, published as one. */
  bundle?: Bundle;
}

/** A precompressed copy of a blob: its length and the lowercase hex SHA-256 of the compressed bytes. */
export interface EncodedCopy {
  size: number;
  sha256: string;
}

export type Encodings = { br?: EncodedCopy; gzip?: EncodedCopy };

/** A blob's own record: its size, and the precompressed copies stored beside it (each checked before it is served). */
export interface BlobMeta {
  size: number;
  encodings?: Encodings;
}

export interface ModuleEntry {
  version: string;
  /** A variant served even when the profile lacks what it requires (otherwise: 406). */
  fallback?: string;
  /** A declared preference order (variant names); the rest follow by the automatic rule (profile/order.ts). */
  order?: string[];
  variants: Variant[];
}

/** Every module of a store at once: what `readModules` returns, and the shape of the legacy one-file manifest. */
export interface Manifest {
  schema: number;
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

export {
  blobKey,
  blobMetaKey,
  bundleKey,
  CHANGES_KEY,
  LEGACY_MANIFEST_KEY,
  MODULES_PREFIX,
  markChanged,
  moduleKey,
  moduleNameOf,
} from './records.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function need(ok: boolean, field: string, problem: string): asserts ok {
  if (!ok) throw new ManifestError(field, problem);
}

function parseJson(bytes: Uint8Array, field: string): unknown {
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

/**
 * A module by name, own entries only: `modules.constructor` would otherwise be `Object` itself
 * (`constructor` is a valid module name), a 500 on read and a write onto `Object` at publish.
 */
export function moduleOf(manifest: Manifest, name: string): ModuleEntry | undefined {
  return Object.hasOwn(manifest.modules, name) ? manifest.modules[name] : undefined;
}

/** A module entry as publish builds it: checked before it is written. */
export function validateEntry(entry: ModuleEntry, name: string): void {
  validateModule(entry, `modules.${name}`);
}

function validateModule(entry: unknown, at: string): asserts entry is ModuleEntry {
  need(isObject(entry), at, 'must be an object');
  need(typeof entry.version === 'string' && VERSION.test(entry.version), `${at}.version`, VERSION_RULE);
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
  need(typeof v.blob === 'string' && ADDRESS.test(v.blob), `${at}.blob`, 'must be sha256-<64 lowercase hex>');
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
  need(
    v.hosts === undefined ||
      (Array.isArray(v.hosts) &&
        v.hosts.length > 0 &&
        v.hosts.every((h) => typeof h === 'string' && isVariantHost(h)) &&
        new Set(v.hosts).size === v.hosts.length),
    `${at}.hosts`,
    `must be a non-empty array of distinct hosts (${VARIANT_HOSTS.join(', ')}) when present`,
  );
  if (v.bundle !== undefined) validateBundle(v.bundle, v.blob as string, `${at}.bundle`);
}

function validateEncodings(encodings: unknown, at: string): asserts encodings is Encodings {
  need(isObject(encodings), at, 'must be an object mapping br/gzip to copies');
  for (const [k, copy] of Object.entries(encodings)) {
    const cat = `${at}.${k === 'br' || k === 'gzip' ? k : '(name)'}`;
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
      need(addressOfHex(f.sha256) === blob, `${fat}.sha256`, "must be the variant's blob (its own wasm)");
    }
  });
  need(wasm === 1, `${at}.files`, 'must hold exactly one file in the wasm role');
  need(typeof b.entry === 'string' && paths.has(b.entry), `${at}.entry`, 'must be one of its files');
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
    need(NAME.test(name), at, 'module name must match [a-z0-9][a-z0-9._-]{0,63}');
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
