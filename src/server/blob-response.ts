/**
 * Answers with a blob's bytes: verified against its content address first (a corrupted blob is a
 * 503, never served), with ETag, Content-Digest, conditional GET, HEAD, single Range, and a
 * precompressed copy when the client accepts it. A copy is checked against the hash recorded for it
 * at publish; one that fails (or is missing) is logged and the verified identity bytes go instead.
 */
import type { Context } from 'hono';
import { contentDigestOf, hexOf, sha256, toHex } from '../contract/address.js';
import type { BlobCache } from '../registry/blob-cache.js';
import { blobKey } from '../registry/records.js';
import type { Encodings } from '../registry/schema.js';
import type { Store } from '../registry/store.js';
import { ApiError } from './errors.js';

type Encoding = 'br' | 'gzip';

/** The stored bytes if they hash to `hex`; null when absent; false when they do not match. */
async function readChecked(
  store: Store,
  cache: BlobCache | undefined,
  key: string,
  hex: string,
): Promise<Uint8Array | null | false> {
  const id = `${key}#${hex}`;
  const cached = cache?.get(id);
  if (cached) return cached;
  const bytes = await store.get(key);
  if (!bytes) return null;
  // Hash every read from the store (about 0.3 ms per 100 KB): a store can change under us.
  if (toHex(await sha256(bytes)) !== hex) return false;
  cache?.set(id, bytes);
  return bytes;
}

async function readIdentity(
  store: Store,
  cache: BlobCache | undefined,
  blob: string,
  key = blobKey(blob),
): Promise<Uint8Array> {
  const bytes = await readChecked(store, cache, key, hexOf(blob));
  if (bytes === null)
    throw new ApiError(503, 'a blob named by the manifest is missing from the store', {
      headers: { 'Retry-After': '30' },
    });
  if (bytes === false) {
    console.error(`weft: blob ${blob} failed its hash check; refusing to serve it`);
    throw new ApiError(503, 'a stored blob failed its integrity check', { headers: { 'Retry-After': '60' } });
  }
  return bytes;
}

/** The precompressed copy if it is present and whole; otherwise logs why and returns null. */
async function readCopy(
  store: Store,
  cache: BlobCache | undefined,
  blob: string,
  encoding: Encoding,
  encodings: Encodings,
): Promise<Uint8Array | null> {
  const copy = encodings[encoding];
  if (!copy) return null;
  const bytes = await readChecked(store, cache, blobKey(blob, encoding), copy.sha256);
  if (bytes) return bytes;
  console.error(
    `weft: the ${encoding} copy of blob ${blob} ${bytes === null ? 'is missing' : 'failed its hash check'}; serving the identity bytes instead`,
  );
  return null;
}

export interface BlobAnswer {
  /** The content address `sha256-<hex>` the bytes must hash to (and the ETag). */
  blob: string;
  /** Where the bytes are stored (default: the wasm blob's key); a bundle's other files live under `files/`. */
  key?: string;
  /** Default `application/wasm`. */
  contentType?: string;
  encodings?: Encodings;
  cacheControl: string;
  headers?: Record<string, string>;
  /** Range is honoured on immutable blob URLs only. */
  allowRange?: boolean;
  /** False where the runtime cannot pass precompressed bodies through unchanged. */
  precompressed?: boolean;
  /** Verified bytes kept in memory (the app's; none means every answer reads the store). */
  cache?: BlobCache;
}

export async function blobResponse(c: Context, store: Store, answer: BlobAnswer): Promise<Response> {
  const etag = `"${answer.blob}"`;
  const headers: Record<string, string> = {
    'Content-Type': answer.contentType ?? 'application/wasm',
    ETag: etag,
    'Cache-Control': answer.cacheControl,
    'Content-Digest': contentDigestOf(answer.blob),
    ...answer.headers,
  };
  if (answer.allowRange) headers['Accept-Ranges'] = 'bytes';
  const encoding =
    answer.precompressed === false
      ? undefined
      : pickEncoding(c.req.header('Accept-Encoding'), answer.encodings);
  if (answer.encodings && answer.precompressed !== false)
    headers.Vary = appendVary(headers.Vary, 'Accept-Encoding');
  // Built through the context so the app's CORS/CORP headers are part of the response from the start.
  if (matches(c.req.header('If-None-Match'), etag)) return c.body(null, 304, headers);

  const send = (body: Uint8Array, status = 200) => {
    headers['Content-Length'] = String(body.length);
    const code = status as 200 | 206;
    if (c.req.method === 'HEAD') return c.body(null, code, headers);
    return c.body(body as Uint8Array<ArrayBuffer>, code, headers);
  };
  if (encoding && answer.encodings) {
    const packed = await readCopy(store, answer.cache, answer.blob, encoding, answer.encodings);
    if (packed) {
      headers['Content-Encoding'] = encoding;
      return send(packed);
    }
    // A failed copy falls back to the full identity body (Range is not mixed with encodings).
    return send(await readIdentity(store, answer.cache, answer.blob, answer.key));
  }
  const identity = await readIdentity(store, answer.cache, answer.blob, answer.key);
  const range = answer.allowRange ? parseRange(c.req.header('Range'), identity.length) : null;
  if (!range) return send(identity);
  headers['Content-Range'] = `bytes ${range[0]}-${range[1]}/${identity.length}`;
  return send(identity.subarray(range[0], range[1] + 1), 206);
}

function pickEncoding(accept: string | undefined, encodings: Encodings | undefined): Encoding | undefined {
  if (!accept || !encodings) return undefined;
  const offered = accept.split(',').map((part) => {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)/.exec(p)?.[1]).find(Boolean);
    return { name: name.trim(), q: q === undefined ? 1 : Number(q) };
  });
  const ok = (name: string) => offered.some((o) => o.name === name && o.q > 0);
  if (encodings.br !== undefined && ok('br')) return 'br';
  if (encodings.gzip !== undefined && ok('gzip')) return 'gzip';
  return undefined;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return (
    ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)
  );
}

/** One `bytes=a-b`, `a-` or `-n` range; anything else (several ranges, unsatisfiable) is ignored: full body. */
function parseRange(header: string | undefined, size: number): [number, number] | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '') || size === 0) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? [start, end] : null;
}

export function appendVary(current: string | undefined, field: string): string {
  return current ? `${current}, ${field}` : field;
}
