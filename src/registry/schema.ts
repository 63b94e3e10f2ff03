/**
 * The shape of what the registry records (contract.md), checked on load with an error that names
 * the field (`modules.demo.variants[1].blob`), never a stack: modules, their variants, blobs'
 * precompressed copies and bundles. Pure: how they are stored is records.ts.
 */

import { ADDRESS, addressOfHex, HEX64 } from '../contract/address.js';
import { NAME, NAME_RULE, VERSION, VERSION_RULE } from '../contract/names.js';
import { PIECE_SIZE, validPieces } from '../contract/pieces.js';
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
  /** The SHA-256 of each 1 MiB piece of the blob (contract/pieces.ts), computed by the server; absent for a blob of one piece and in records published before pieces existed. */
  pieces?: string;
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

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function need(ok: boolean, field: string, problem: string): asserts ok {
  if (!ok) throw new ManifestError(field, problem);
}

/** A module entry as publish builds it: checked before it is written. */
export function validateEntry(entry: ModuleEntry, name: string): void {
  validateModule(entry, `modules.${name}`);
}

export function validateModule(entry: unknown, at: string): asserts entry is ModuleEntry {
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
  need(typeof v.name === 'string' && NAME.test(v.name), `${at}.name`, NAME_RULE);
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
  if (v.pieces !== undefined) validatePiecesField(v.pieces, v.size as number, `${at}.pieces`);
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

export function validateEncodings(encodings: unknown, at: string): asserts encodings is Encodings {
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
export function validateBundle(b: unknown, blob: string, at: string): void {
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
    if (f.pieces !== undefined) validatePiecesField(f.pieces, f.size as number, `${fat}.pieces`);
    if (f.role === 'wasm') {
      wasm++;
      need(addressOfHex(f.sha256) === blob, `${fat}.sha256`, "must be the variant's blob (its own wasm)");
    }
  });
  need(wasm === 1, `${at}.files`, 'must hold exactly one file in the wasm role');
  need(typeof b.entry === 'string' && paths.has(b.entry), `${at}.entry`, 'must be one of its files');
}

/** A file's `pieces` when present: the digests of its pieces, for a file of more than one (else the record is corrupt). */
function validatePiecesField(pieces: unknown, size: number, at: string): void {
  need(
    validPieces(pieces, size),
    at,
    `must be base64 of one 32-byte SHA-256 per ${PIECE_SIZE}-byte piece, for a file of more than one piece`,
  );
}

/** A removed version's record: what a pinned request for it is told (410). */
export interface Removed {
  version: string;
  removed: string;
}

export const isRemoved = (record: object): record is Removed => 'removed' in record;
