import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { noise as bytesOf, piecesApart } from '../../test/harness/pieces.js';
import { PIECE_SIZE, pieceCount, pieceDigests, piecesOf, validPieces } from './pieces.js';

describe('piece hashes', () => {
  it('counts pieces, the last one short', () => {
    expect([0, 1, PIECE_SIZE, PIECE_SIZE + 1, 3.5 * PIECE_SIZE].map(pieceCount)).toEqual([0, 1, 1, 2, 4]);
  });

  it('has no list for a file of at most one piece (its SRI checks it)', async () => {
    for (const size of [0, 1, PIECE_SIZE]) expect(await piecesOf(bytesOf(size))).toBeUndefined();
  });

  it('lists the SHA-256 of each piece in order, as node:crypto computes them', async () => {
    for (const size of [PIECE_SIZE + 1, 3.5 * PIECE_SIZE]) {
      const bytes = bytesOf(size);
      const pieces = await piecesOf(bytes);
      expect(pieces).toBe(piecesApart(bytes));
      expect(Buffer.from(pieces!, 'base64').length).toBe(pieceCount(size) * 32);
      expect(validPieces(pieces, size)).toBe(true);
      const digests = pieceDigests(pieces!);
      expect(digests.length).toBe(pieceCount(size));
      expect(Buffer.from(digests.at(-1)!).toString('hex')).toBe(
        createHash('sha256')
          .update(bytes.subarray((pieceCount(size) - 1) * PIECE_SIZE))
          .digest('hex'),
      );
    }
  });

  it('hashes a view by its own bytes, not its whole buffer', async () => {
    const whole = bytesOf(3 * PIECE_SIZE);
    const view = whole.subarray(100, 100 + 2 * PIECE_SIZE + 7);
    expect(await piecesOf(view)).toBe(piecesApart(view.slice()));
  });

  it('refuses a list of the wrong length, not base64, truncated, or with an extra piece', async () => {
    const size = 3.5 * PIECE_SIZE;
    const good = (await piecesOf(bytesOf(size)))!;
    const raw = Buffer.from(good, 'base64');
    const extra = Buffer.concat([raw, createHash('sha256').update('x').digest()]).toString('base64');
    const short = raw.subarray(0, raw.length - 32).toString('base64');
    const cases: [unknown, number][] = [
      [extra, size],
      [short, size],
      [good.slice(0, -4), size],
      [good.slice(0, -1), size],
      [`${good.slice(0, 10)}!${good.slice(11)}`, size],
      [`${good.slice(0, 10)} ${good.slice(11)}`, size],
      [good.replace(/=+$/, ''), size],
      [good.replaceAll('+', '-').replaceAll('/', '_'), size],
      [good, 2 * PIECE_SIZE],
      [good, PIECE_SIZE],
      ['', 0],
      [42, size],
      [undefined, size],
    ];
    for (const [pieces, at] of cases)
      expect(validPieces(pieces, at), String(pieces).slice(0, 20)).toBe(false);
    // A one-piece file has no list at all, even one of the right length.
    const one = createHash('sha256').update('y').digest().toString('base64');
    expect(validPieces(one, PIECE_SIZE)).toBe(false);
    expect(validPieces(good, size)).toBe(true);
  });
});
