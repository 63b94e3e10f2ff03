/**
 * Checks a module's manifest before it is pinned (`weft manifest`, `weft/plugin`): the shape the
 * registry itself validates (schema.ts, one home for those rules), and on top what makes it
 * pinned: every URL content-addressed and agreeing with the integrity beside it (a blob URL names
 * the SHA-256 its integrity says; a bundle's id is recomputed from its files). Pure: no HTTP.
 */

import { ADDRESS, addressOfHex, digestOfSri, toHex } from '../contract/address.js';
import { NAME, NAME_RULE } from '../contract/names.js';
import { PINNED_FORMAT, type PinnedManifest } from '../profile/pinned.js';
import type { RemoteBundle, RemoteVariant } from '../profile/wire.js';
import { type Bundle, bundleId } from './bundle.js';
import { ManifestError, type Variant, validateEntry } from './schema.js';

const BLOB_URL = new RegExp(`/v1/blobs/(${ADDRESS.source.slice(1, -1)})\\.wasm$`);
const BUNDLE_BASE = /\/v1\/bundles\/([0-9a-f]{32})\/$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function need(ok: boolean, field: string, problem: string): asserts ok {
  if (!ok) throw new ManifestError(field, problem);
}

/** An absolute http(s) URL, or a ManifestError naming the field. */
function absolute(value: unknown, field: string): URL {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {}
  need(
    !!url && (url.protocol === 'https:' || url.protocol === 'http:'),
    field,
    'must be an absolute http(s) URL',
  );
  return url;
}

/** SRI `sha256-<base64>` of 32 bytes to lowercase hex, or a ManifestError. */
function hexOf(integrity: unknown, field: string): string {
  let bytes: Uint8Array | undefined;
  if (typeof integrity === 'string' && /^sha256-[A-Za-z0-9+/]{43}=$/.test(integrity)) {
    bytes = digestOfSri(integrity);
  }
  need(bytes?.length === 32, field, 'must be sha256-<base64 of 32 bytes>');
  return toHex(bytes);
}

/**
 * Pins the answer of `GET /v1/modules/<name>` from `server`: validated, rebuilt from the fields it
 * checked (nothing unchecked is written), marked with the shape's version and the server.
 */
export async function pinAnswer(answer: unknown, name: string, server: string): Promise<PinnedManifest> {
  const at = NAME.test(name) ? name : '(name)';
  need(NAME.test(name), at, `module name ${NAME_RULE}`);
  need(isObject(answer), at, 'must be an object');
  need(answer.name === name, `${at}.name`, `must be ${name}, the module asked for`);
  need(Array.isArray(answer.variants), `${at}.variants`, 'must be an array');
  const variants = answer.variants.map((v: unknown, i) => toRecord(v, `${at}.variants[${i}]`));
  // The registry's own rules for a module record: names, models, capabilities, fallback, bundles.
  const { name: _n, variants: _v, ...rest } = answer;
  validateEntry({ ...(rest as object), variants } as Parameters<typeof validateEntry>[0], name);
  for (const [i, v] of variants.entries()) {
    if (v.bundle)
      need(
        (await bundleId(v.bundle.files, v.bundle.entry)) === v.bundle.id,
        `${at}.variants[${i}].bundle.id`,
        'must be the content address of its files (their paths, roles, hashes and entry)',
      );
  }
  return {
    weft: PINNED_FORMAT,
    server: server.replace(/\/+$/, ''),
    name,
    version: answer.version as string,
    ...(answer.fallback !== undefined ? { fallback: answer.fallback as string } : {}),
    variants: (answer.variants as RemoteVariant[]).map(pick),
  };
}

/** A pinned manifest read back (a file, an import): checked as when it was written. */
export async function checkPinned(value: unknown, where: string): Promise<PinnedManifest> {
  need(isObject(value), where, 'must be an object');
  need(
    value.weft === PINNED_FORMAT,
    `${where}.weft`,
    `must be ${PINNED_FORMAT} (a manifest pinned by weft manifest)`,
  );
  const { weft: _w, server, ...answer } = value;
  absolute(server, `${where}.server`);
  return pinAnswer(answer, String(answer.name), server as string);
}

/** A variant as the registry records it, derived from the answer (its URLs checked on the way). */
function toRecord(v: unknown, at: string): Variant {
  need(isObject(v), at, 'must be an object');
  const hex = hexOf(v.integrity, `${at}.integrity`);
  const blob = BLOB_URL.exec(absolute(v.url, `${at}.url`).pathname)?.[1];
  need(blob === addressOfHex(hex), `${at}.url`, 'must be the content-addressed blob URL of its integrity');
  const { url: _u, integrity: _i, bundle, ...rest } = v;
  return {
    ...(rest as object),
    blob,
    ...(bundle !== undefined ? { bundle: toBundle(bundle, `${at}.bundle`) } : {}),
  } as Variant;
}

function toBundle(b: unknown, at: string): Bundle {
  need(isObject(b), at, 'must be an object { id, base, entry, files }');
  const id = BUNDLE_BASE.exec(absolute(b.base, `${at}.base`).pathname)?.[1];
  need(
    id !== undefined && id === b.id,
    `${at}.base`,
    'must be the URL of the bundle its id names (…/v1/bundles/<id>/)',
  );
  need(Array.isArray(b.files), `${at}.files`, 'must be an array');
  const files = b.files.map((f: unknown, i) => {
    need(isObject(f), `${at}.files[${i}]`, 'must be an object { path, role, size, integrity, pieces? }');
    const { integrity, ...rest } = f;
    return { ...rest, sha256: hexOf(integrity, `${at}.files[${i}].integrity`) };
  });
  return { id, entry: b.entry, files } as Bundle;
}

/** The fields a loader reads, and nothing else. */
function pick(v: RemoteVariant): RemoteVariant {
  return {
    name: v.name,
    model: v.model,
    requires: v.requires,
    size: v.size,
    polyfills: v.polyfills,
    url: v.url,
    integrity: v.integrity,
    ...(v.pieces ? { pieces: v.pieces } : {}),
    ...(v.threads ? { threads: v.threads } : {}),
    ...(v.hosts ? { hosts: v.hosts } : {}),
    ...(v.bundle ? { bundle: pickBundle(v.bundle) } : {}),
  };
}

const pickBundle = (b: RemoteBundle): RemoteBundle => ({
  id: b.id,
  base: b.base,
  entry: b.entry,
  files: b.files.map((f) => ({
    path: f.path,
    role: f.role,
    size: f.size,
    integrity: f.integrity,
    ...(f.pieces ? { pieces: f.pieces } : {}),
  })),
});
