/**
 * The content address of docs/contract.md and its spellings, one home for every conversion:
 * - the address itself, `sha256-<64 lowercase hex>` (blob names, upload URLs, commit hashes);
 * - bare hex (a bundle file's `sha256` field, store keys under `files/`);
 * - SRI `sha256-<base64>` (the answers' `integrity`, what loaders check);
 * - RFC 9530 `Content-Digest: sha-256=:<base64>:` (the negotiated `/wasm` answer).
 * Pure and tiny: the SDK's browser bundle imports it as the server does.
 */

/** `sha256-<64 lowercase hex>`. */
export type Address = `sha256-${string}`;

export const ADDRESS = /^sha256-[0-9a-f]{64}$/;
export const HEX64 = /^[0-9a-f]{64}$/;
const PREFIX = 'sha256-';

export const isAddress = (value: unknown): value is Address =>
  typeof value === 'string' && ADDRESS.test(value);

/** The address of a bare hex digest. */
export const addressOfHex = (hex: string): Address => `${PREFIX}${hex}`;

/** The bare hex digest of an address. */
export const hexOf = (address: string): string => address.slice(PREFIX.length);

export const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Standard base64 (with padding) back to bytes; throws on anything `atob` refuses. */
export const fromBase64 = (base64: string): Uint8Array =>
  Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** SHA-256 through WebCrypto (Node 20, browsers and workerd alike). */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** The content address of some bytes. */
export const addressOf = async (bytes: Uint8Array): Promise<Address> =>
  addressOfHex(toHex(await sha256(bytes)));

/** An address as SRI: `sha256-<hex>` → `sha256-<base64>`. */
export const sriOfAddress = (address: string): string => `${PREFIX}${toBase64(fromHex(hexOf(address)))}`;

/** An SRI digest of the bytes themselves: `sha256-<base64>`. */
export const sriOfDigest = (digest: Uint8Array): string => `${PREFIX}${toBase64(digest)}`;

/** SRI `sha256-<base64>` of some bytes. */
export const sriOfBytes = async (bytes: Uint8Array): Promise<string> => sriOfDigest(await sha256(bytes));

/** The digest an SRI `sha256-<base64>` names. */
export const digestOfSri = (sri: string): Uint8Array => fromBase64(sri.slice(PREFIX.length));

/** An address as `Content-Digest` (RFC 9530): `sha-256=:<base64>:`. */
export const contentDigestOf = (address: string): string => `sha-256=:${toBase64(fromHex(hexOf(address)))}:`;

/** `Content-Digest: sha-256=:<base64>:` as SRI, or undefined when absent or of another algorithm. */
export function sriFromContentDigest(header: string | null): string | undefined {
  const m = header ? /sha-256=:([A-Za-z0-9+/]+=*):/.exec(header) : null;
  return m ? `${PREFIX}${m[1]}` : undefined;
}
