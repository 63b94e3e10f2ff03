/**
 * The commit of an upload (upload.ts): a module's builds named file by file (path, role, hash,
 * size) with their declarations, published by the one path every publish takes (`publishSet`):
 * every file read back and checked, each wasm inspected with its glue, the glue's references
 * checked, then the module's record replaced by compare-and-swap, so a reader sees every build of
 * the commit or none. Files are read one at a time; only the wasm and the scripts are kept.
 */

import { ADDRESS, hexOf } from '../contract/address.js';
import { isVersion, NAME, NAME_RULE, VERSION_RULE } from '../contract/names.js';
import { piecesOf } from '../contract/pieces.js';
import { BUNDLE_PATH, MAX_BUNDLE_FILES, ROLES, type Role, roleOf } from './bundle.js';
import type { Encoders } from './copies.js';
import { parseDeclaration } from './declaration.js';
import { withPublishLease } from './locks.js';
import type { BundleFileInput, VariantInput } from './plan.js';
import { type Defer, type PublishSetResult, publishSet } from './publish.js';
import { MAX_VARIANTS } from './schema.js';
import type { Store } from './store.js';
import { readFile, UploadError } from './upload.js';

/** One file of a committed build, as the client names it. */
export interface CommitFile {
  path: string;
  /** `wasm` marks the build's wasm (exactly one); others, when given, must be what weft reads from the name. */
  role?: Role;
  hash: string;
  size: number;
}

/** The body of `POST /v1/modules/:name/commit` (docs/contract.md). */
export interface CommitRequest {
  version?: string;
  fallback?: string;
  order?: string[];
  variants: {
    name: string;
    entry?: string;
    files: CommitFile[];
    declaration?: Record<string, unknown>;
  }[];
}

const TOP = new Set(['version', 'fallback', 'order', 'variants']);
const VARIANT = new Set(['name', 'entry', 'files', 'declaration']);
const FILE = new Set(['path', 'role', 'hash', 'size']);
const DECLARED = new Set(['requires', 'model', 'threads', 'polyfills', 'hosts']);

const bad = (field: string, problem: string) => new UploadError('bad_commit', `${field}: ${problem}`);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
/** Field names are shown only when they are plain words: a message never echoes raw input. */
const safe = (key: string) => (/^[A-Za-z0-9_-]{1,40}$/.test(key) ? key : '(a field)');

function onlyKeys(raw: Record<string, unknown>, known: Set<string>, at: string): void {
  for (const key of Object.keys(raw))
    if (!known.has(key)) throw bad(at ? `${at}.${safe(key)}` : safe(key), 'is not a known field');
}

/** Checks a commit body's shape (not yet the files): every field named in its error. */
export function parseCommit(raw: unknown): CommitRequest {
  if (!isObject(raw)) throw bad('(body)', 'must be a JSON object');
  onlyKeys(raw, TOP, '');
  if (raw.version !== undefined && !isVersion(raw.version)) throw bad('version', VERSION_RULE);
  if (raw.fallback !== undefined && (typeof raw.fallback !== 'string' || !NAME.test(raw.fallback)))
    throw bad('fallback', 'must be a variant name');
  if (
    raw.order !== undefined &&
    (!Array.isArray(raw.order) || !raw.order.every((n) => typeof n === 'string' && NAME.test(n)))
  )
    throw bad('order', 'must be an array of variant names');
  if (!Array.isArray(raw.variants) || raw.variants.length === 0 || raw.variants.length > MAX_VARIANTS)
    throw bad('variants', `must be an array of 1 to ${MAX_VARIANTS} builds`);
  raw.variants.forEach((v: unknown, i: number) => {
    const at = `variants[${i}]`;
    if (!isObject(v)) throw bad(at, 'must be an object');
    onlyKeys(v, VARIANT, at);
    if (typeof v.name !== 'string' || !NAME.test(v.name)) throw bad(`${at}.name`, NAME_RULE);
    if (v.entry !== undefined && (typeof v.entry !== 'string' || !BUNDLE_PATH.test(v.entry)))
      throw bad(`${at}.entry`, 'must be the path of one of its files');
    if (!Array.isArray(v.files) || v.files.length === 0 || v.files.length > MAX_BUNDLE_FILES)
      throw bad(`${at}.files`, `must hold 1 to ${MAX_BUNDLE_FILES} files`);
    v.files.forEach((f: unknown, j: number) => {
      const fat = `${at}.files[${j}]`;
      if (!isObject(f)) throw bad(fat, 'must be an object');
      onlyKeys(f, FILE, fat);
      if (typeof f.path !== 'string' || f.path.length > 512 || !BUNDLE_PATH.test(f.path))
        throw bad(`${fat}.path`, 'must be a plain relative path');
      if (f.role !== undefined && !(ROLES as readonly unknown[]).includes(f.role))
        throw bad(`${fat}.role`, `must be one of ${ROLES.join(', ')}`);
      if (typeof f.hash !== 'string' || !ADDRESS.test(f.hash))
        throw bad(`${fat}.hash`, 'must be sha256-<64 hex>');
      if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0)
        throw bad(`${fat}.size`, 'must be a byte count');
    });
    const wasm = v.files.filter((f) => (f as CommitFile).role === 'wasm');
    if (wasm.length !== 1) throw bad(`${at}.files`, 'must mark exactly one file role "wasm" (the build)');
    if (v.declaration !== undefined) {
      if (!isObject(v.declaration)) throw bad(`${at}.declaration`, 'must be an object');
      onlyKeys(v.declaration, DECLARED, `${at}.declaration`);
    }
  });
  return raw as unknown as CommitRequest;
}

/**
 * Publishes a commit: reads every file it names (the wasm from its blob or its upload), checks
 * each against its hash and size, and hands the builds to `publishSet`. Any file missing is one
 * `missing_files` error listing them all (nothing is published); a declaration error names its field.
 */
export function commitUpload(
  store: Store,
  module: string,
  request: CommitRequest,
  encoders?: Encoders,
  defer?: Defer,
): Promise<PublishSetResult> {
  // Under a publish lease from the first read of an upload to the commit: garbage collection cannot
  // take a file between the moment it is found here and the record that names it.
  return withPublishLease(store, () => commitNow(store, module, request, encoders, defer));
}

async function commitNow(
  store: Store,
  module: string,
  request: CommitRequest,
  encoders?: Encoders,
  defer?: Defer,
): Promise<PublishSetResult> {
  // Declarations first: a bad one costs no read.
  const declared = request.variants.map((v, i) =>
    parseDeclaration(v.declaration ?? {}, request.variants.length > 1 ? `variants[${i}]` : ''),
  );
  const missing = new Set<string>();
  const variants: VariantInput[] = [];
  for (const [i, v] of request.variants.entries()) {
    const wasmPath = v.files.find((f) => f.role === 'wasm')!.path;
    const files: BundleFileInput[] = [];
    let wasm: Uint8Array | undefined;
    for (const [j, f] of v.files.entries()) {
      const role = roleOf(f.path, wasmPath);
      if (f.role !== undefined && f.role !== role)
        throw bad(`variants[${i}].files[${j}].role`, `is ${role} by its name (docs/contract.md)`);
      const hex = hexOf(f.hash);
      const found = await readFile(store, hex);
      if (!found) {
        missing.add(f.hash);
        continue;
      }
      if (found.bytes.length !== f.size)
        throw new UploadError(
          'size_mismatch',
          `variants[${i}].files[${j}].size: the stored file has another size`,
        );
      // The wasm and scripts are read as evidence; a file found only as a blob is written under files/.
      const keep = role !== 'data' || found.blobOnly;
      if (role === 'wasm') wasm = found.bytes;
      // A file whose bytes are not kept gets its pieces here, from the bytes just read and checked.
      const pieces = keep ? undefined : await piecesOf(found.bytes);
      files.push({
        path: f.path,
        ...(keep ? { bytes: found.bytes } : {}),
        ...(found.blobOnly && role !== 'wasm'
          ? {}
          : { stored: { sha256: hex, size: f.size, ...(pieces ? { pieces } : {}) } }),
      });
    }
    if (missing.size || !wasm) continue;
    // A wasm alone is a wasm-only variant, as `weft publish` makes it; anything more is a bundle.
    const bundled = v.files.length > 1 || v.entry !== undefined;
    variants.push({
      variant: v.name,
      bytes: wasm,
      declaration: declared[i]!,
      ...(bundled ? { bundle: { wasmPath, files, ...(v.entry ? { entry: v.entry } : {}) } } : {}),
    });
  }
  if (missing.size)
    throw new UploadError(
      'missing_files',
      `${missing.size} file(s) named by the commit were never uploaded`,
      {
        missing: [...missing],
      },
    );
  return publishSet(
    store,
    {
      module,
      variants,
      ...(request.version ? { version: request.version } : {}),
      ...(request.fallback ? { fallback: request.fallback } : {}),
      ...(request.order ? { order: request.order } : {}),
    },
    encoders,
    defer,
  );
}
