import { createHash } from 'node:crypto';
import { PIECE_SIZE } from '../../src/contract/pieces.js';

/** A piece list computed apart from the code under test: node:crypto over each piece, Buffer's base64. */
export function piecesApart(bytes: Uint8Array): string {
  const digests: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += PIECE_SIZE)
    digests.push(
      createHash('sha256')
        .update(bytes.subarray(at, at + PIECE_SIZE))
        .digest(),
    );
  return Buffer.concat(digests).toString('base64');
}

/** Deterministic bytes that differ from piece to piece (a repeated pattern would hide an order bug). */
export function noise(size: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
