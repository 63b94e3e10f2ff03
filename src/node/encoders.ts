import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Encoders } from '../server/publish.js';

const br = promisify(brotliCompress);
const gz = promisify(gzip);

/** Node's publish-time compressors: brotli at its best quality (done once per blob) and gzip. */
export const nodeEncoders: Encoders = {
  br: async (bytes) =>
    new Uint8Array(
      await br(bytes, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
      }),
    ),
  gzip: async (bytes) => new Uint8Array(await gz(bytes, { level: 9 })),
};
