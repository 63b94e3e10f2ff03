/**
 * Download with progress, integrity verification and compilation. The bytes are hashed as they
 * stream and compiled in parallel (`compileStreaming` where the content type allows it), but
 * nothing is instantiated until the hash matches: a tampered binary never runs.
 */
import { sriOfBytes, sriOfDigest } from '../contract/address.js';

export interface Progress {
  variant: string;
  loaded: number;
  /** From Content-Length, when the response has one (absent for compressed transfers). */
  total: number | undefined;
}

/** Reads the whole body, reporting progress per chunk (in one native read when nobody listens). */
async function readAll(res: Response, onChunk?: (loaded: number) => void): Promise<Uint8Array> {
  if (!res.body || !onChunk) return new Uint8Array(await res.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onChunk(loaded);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// Set by scripts/build.mjs for the browser bundle, which never has node:crypto.
declare const WEFT_BROWSER_BUNDLE: boolean | undefined;

type NodeCrypto = typeof import('node:crypto');

/** node:crypto where the runtime has it (Node, Deno, Bun), through no import a bundler would follow. */
function nodeCrypto(): NodeCrypto | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return p?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  } catch {
    return undefined;
  }
}

/** SHA-256 chunk by chunk as the body arrives: the digest is ready with the last byte. */
async function hashAsItStreams(
  node: NodeCrypto,
  body: ReadableStream<Uint8Array>,
  keep: boolean,
  onChunk?: (loaded: number) => void,
): Promise<{ sri: string; bytes?: Uint8Array }> {
  const hash = node.createHash('sha256');
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let loaded = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    if (keep) chunks.push(value as Uint8Array<ArrayBuffer>);
    loaded += value.length;
    onChunk?.(loaded);
  }
  const sri = sriOfDigest(hash.digest());
  return keep ? { sri, bytes: new Uint8Array(await new Blob(chunks).arrayBuffer()) } : { sri };
}

/**
 * The SRI of a body, and its bytes when `keep`. Chosen by measurement (10 and 30 MB builds of
 * bench/load-sizes.ts served by weft, a fresh Node process or browser context per sample, this
 * 2-core shared machine):
 * - Where node:crypto exists, an incremental SHA-256 over the chunks as they arrive: native (about
 *   1.7 GB/s), done when the download is, so nothing is left to hash after the last byte.
 * - Browsers have no incremental digest: the body is collected and given whole to
 *   `crypto.subtle.digest`, about 40 to 100 ms after the last byte at 30 MB in Chromium.
 * - An incremental SHA-256 in JS (@noble/hashes 2.4 `sha256`) lost to collect + digest in both:
 *   about 140 MB/s against 600 MB/s in Node (1.7 GB/s for node:crypto), and it runs on the thread
 *   that feeds the streaming compiler, so the time to instance at 10 MB grew by 75 to 135 ms in
 *   Chromium and in Node. It would also add 2.6 KB gzip to a 5 KB SDK.
 */
async function hashBody(
  res: Response,
  keep: boolean,
  onChunk?: (loaded: number) => void,
): Promise<{ sri: string; bytes?: Uint8Array }> {
  // An if with no else: the browser bundle (where the condition is false) drops the Node path whole.
  if (!(typeof WEFT_BROWSER_BUNDLE === 'boolean' && WEFT_BROWSER_BUNDLE)) {
    const node = nodeCrypto();
    if (node && res.body) return hashAsItStreams(node, res.body, keep, onChunk);
  }
  const bytes = await readAll(res, onChunk);
  return { sri: await sriOfBytes(bytes), bytes };
}

export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/**
 * Turns a fetched response into a compiled module whose bytes match `integrity`. Where the server
 * says `application/wasm`, the response itself is compiled as it streams while a clone of it is
 * hashed (in Chromium this measured faster than compiling a JS `tee()` branch: 0.80 s against
 * 0.96 s at 30 MB); the module is returned only once the hash matches. Otherwise the bytes are
 * hashed, then compiled.
 */
export async function compileVerified(
  res: Response,
  integrity: string,
  variant: string,
  report?: (p: Progress) => void,
): Promise<WebAssembly.Module> {
  const length = Number(res.headers.get('Content-Length'));
  // NaN (no header) is not > 0; an encoded body's length is not that of the bytes.
  const total = length > 0 && !res.headers.get('Content-Encoding') ? length : undefined;
  const onChunk = report && ((loaded: number) => report({ variant, loaded, total }));
  const streaming =
    (res.headers.get('Content-Type') ?? '').split(';')[0]?.trim() === 'application/wasm' &&
    typeof WebAssembly.compileStreaming === 'function';
  const forHash = streaming ? res.clone() : res;
  const compiled = streaming ? WebAssembly.compileStreaming(res) : undefined;
  // Altered bytes may fail to compile before the hash is known; the mismatch is what gets reported.
  compiled?.catch(() => {});
  const { sri, bytes } = await hashBody(forHash, !compiled, onChunk);
  if (sri !== integrity) throw new IntegrityError(`integrity mismatch: expected ${integrity}, got ${sri}`);
  return compiled ?? WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
}
