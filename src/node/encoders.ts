import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Encoders } from '../registry/copies.js';

const br = promisify(brotliCompress);
const gz = promisify(gzip);

const MiB = 1024 * 1024;

/**
 * Brotli's quality by size. Its best (11) costs about 3 s per MiB here, so a 32 MB build took minutes
 * to publish; on ffmpeg.wasm's 32 MB core, quality 9 took 4.1 s for 0.256 of the size and 6 took
 * 1.2 s for 0.260 (quality 11 is not much smaller). The best where it is cheap, less where it is not.
 */
export function brotliQuality(size: number): number {
  if (size <= MiB) return 11;
  if (size <= 8 * MiB) return 9;
  return 6;
}

/** Node's publish-time compressors: brotli (quality by size, done once per blob) and gzip. */
export const nodeEncoders: Encoders = {
  br: async (bytes) =>
    new Uint8Array(
      await br(bytes, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: brotliQuality(bytes.length),
          [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      }),
    ),
  gzip: async (bytes) => new Uint8Array(await gz(bytes, { level: 9 })),
};
