/**
 * Answers with a blob's bytes: verified against its content address first (registry/blob-read.ts:
 * a corrupted or missing blob is a BlobError, so a 503, never served), with ETag, Content-Digest, conditional GET, HEAD, single Range, and a
 * precompressed copy when the client accepts it. A copy is checked against the hash recorded for it
 * at publish; one that fails (or is missing) is logged and the verified identity bytes go instead.
 */
import type { Context } from 'hono';
import { contentDigestOf } from '../contract/address.js';
import type { BlobCache } from '../registry/blob-cache.js';
import { readBlob, readCopy } from '../registry/blob-read.js';
import type { Encodings } from '../registry/schema.js';
import type { Store } from '../registry/store.js';

type Encoding = 'br' | 'gzip';

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
    return send(await readBlob(store, answer.cache, answer.blob, answer.key));
  }
  const identity = await readBlob(store, answer.cache, answer.blob, answer.key);
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
