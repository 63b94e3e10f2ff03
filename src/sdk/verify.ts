/**
 * Download with progress, integrity verification and compilation. The bytes are hashed as they
 * stream and compiled in parallel (`compileStreaming` where the content type allows it), but
 * nothing is instantiated until the hash matches: a tampered binary never runs.
 */

export interface Progress {
  variant: string;
  loaded: number;
  /** From Content-Length, when the response has one (absent for compressed transfers). */
  total: number | undefined;
}

/** SRI `sha256-<base64>` of some bytes. */
export async function sriOf(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let s = '';
  for (const b of digest) s += String.fromCharCode(b);
  return `sha256-${btoa(s)}`;
}

/** `Content-Digest: sha-256=:<base64>:` to SRI form, or undefined when absent or another algorithm. */
export function sriFromContentDigest(header: string | null): string | undefined {
  const m = header ? /sha-256=:([A-Za-z0-9+/]+=*):/.exec(header) : null;
  return m ? `sha256-${m[1]}` : undefined;
}

/** Reads the whole body, reporting progress per chunk. */
async function readAll(res: Response, onChunk: (loaded: number) => void): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
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

export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/**
 * Turns a fetched response into a compiled module whose bytes match `integrity`. Compiles while
 * the body streams when the server says `application/wasm`, from the bytes otherwise.
 */
export async function compileVerified(
  res: Response,
  integrity: string,
  report: (p: Progress) => void,
  variant: string,
): Promise<WebAssembly.Module> {
  const length = Number(res.headers.get('Content-Length'));
  const total =
    Number.isFinite(length) && length > 0 && !res.headers.get('Content-Encoding') ? length : undefined;
  const onChunk = (loaded: number) => report({ variant, loaded, total });
  const wasmType = (res.headers.get('Content-Type') ?? '').split(';')[0]?.trim() === 'application/wasm';
  if (wasmType && res.body && typeof WebAssembly.compileStreaming === 'function') {
    const [forCompile, forHash] = res.body.tee();
    const compiled = WebAssembly.compileStreaming(
      new Response(forCompile, { headers: { 'Content-Type': 'application/wasm' } }),
    );
    // Altered bytes may fail to compile before the hash is known; the mismatch is what gets reported.
    compiled.catch(() => {});
    const bytes = await readAll(new Response(forHash), onChunk);
    const actual = await sriOf(bytes);
    if (actual !== integrity)
      throw new IntegrityError(`integrity mismatch: expected ${integrity}, got ${actual}`);
    return compiled;
  }
  const bytes = await readAll(res, onChunk);
  const actual = await sriOf(bytes);
  if (actual !== integrity)
    throw new IntegrityError(`integrity mismatch: expected ${integrity}, got ${actual}`);
  return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
}
