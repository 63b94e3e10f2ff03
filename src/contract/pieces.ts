/**
 * Piece hashes (contract.md, "Piece hashes"): the SHA-256 of each 1 MiB piece of a large file, so
 * a loader can check the bytes as they stream in. Browsers have no incremental SHA-256: a file's
 * SRI can only be checked after its last byte, so a bad byte of a 32 MB wasm would be found (and
 * the compile it fed thrown away) only at the end. With pieces, each piece is checked on arrival.
 *
 * The list is exactly as trusted as the SRI: it sits in the same record (a variant, a bundle file),
 * written by the server from the same bytes it stored (never taken from a publisher). A file of one
 * piece has none: its SRI is that piece's digest. Pure (WebCrypto only): the SDK imports it too.
 */
import { fromBase64, toBase64 } from './address.js';

/** The size of a piece: every piece is this long but the last, which may be shorter. */
export const PIECE_SIZE = 1024 * 1024;

/** Bytes of one piece's digest in the list. */
const DIGEST = 32;

/** How many pieces a file of `size` bytes has (0 for an empty file). */
export const pieceCount = (size: number): number => Math.ceil(size / PIECE_SIZE);

/**
 * The pieces of some bytes: the base64 (standard, padded) of the 32-byte SHA-256 of each piece in
 * order, concatenated; undefined for a file of at most one piece (its SRI checks it whole).
 */
export async function piecesOf(bytes: Uint8Array): Promise<string | undefined> {
  if (bytes.length <= PIECE_SIZE) return undefined;
  const count = pieceCount(bytes.length);
  const digests = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      crypto.subtle.digest(
        'SHA-256',
        bytes.subarray(i * PIECE_SIZE, (i + 1) * PIECE_SIZE) as Uint8Array<ArrayBuffer>,
      ),
    ),
  );
  const out = new Uint8Array(count * DIGEST);
  for (const [i, d] of digests.entries()) out.set(new Uint8Array(d), i * DIGEST);
  return toBase64(out);
}

/**
 * Whether `pieces` is the piece list of a file of `size` bytes: canonical base64 of exactly one
 * digest per piece, for a file of more than one piece. A record failing this is corrupt.
 */
export function validPieces(pieces: unknown, size: number): boolean {
  if (typeof pieces !== 'string' || !Number.isSafeInteger(size) || size <= PIECE_SIZE) return false;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(pieces) || pieces.length % 4 !== 0) return false;
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(pieces);
  } catch {
    return false;
  }
  // Re-encoding refuses the spellings atob lets through (stray bits in the last character).
  return bytes.length === pieceCount(size) * DIGEST && toBase64(bytes) === pieces;
}

/** The digest of each piece a valid list names, in order (what a loader compares each piece with). */
export function pieceDigests(pieces: string): Uint8Array[] {
  const bytes = fromBase64(pieces);
  return Array.from({ length: bytes.length / DIGEST }, (_, i) =>
    bytes.subarray(i * DIGEST, (i + 1) * DIGEST),
  );
}
