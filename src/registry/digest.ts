/** SHA-256 through WebCrypto (Node 20, browsers and workerd alike). */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

export const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

/** `sha256-<hex>` (the blob's content address) to SRI `sha256-<base64>`. */
export function integrityOf(blob: string): string {
  return `sha256-${toBase64(fromHex(blob.slice('sha256-'.length)))}`;
}

/** `Content-Digest` (RFC 9530) of a blob: `sha-256=:<base64>:`. */
export function contentDigestOf(blob: string): string {
  return `sha-256=:${toBase64(fromHex(blob.slice('sha256-'.length)))}:`;
}

/** Constant-time comparison of two strings (the publish token): no early exit on the first difference. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
