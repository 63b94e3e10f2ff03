import type { Hono } from 'hono';
import { ADDRESS } from '../../contract/address.js';
import { ROUTES } from '../../contract/paths.js';
import { blobResponse } from '../blob-response.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { methodNotAllowed } from './params.js';

/** Content-addressed bytes never change: cache them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function blobRoutes(app: Hono, ctx: AppContext): void {
  app.on(['GET', 'HEAD'], ROUTES.blob, async (c) => {
    const file = c.req.param('file');
    const blob = file.endsWith('.wasm') ? file.slice(0, -'.wasm'.length) : '';
    if (!ADDRESS.test(blob)) throw new ApiError(400, 'blob names are sha256-<64 lowercase hex>.wasm');
    // Only blobs a publish recorded are served: the store may hold other keys.
    const meta = await ctx.catalog.blob(blob);
    if (!meta) throw new ApiError(404, 'no such blob');
    return blobResponse(c, ctx.store, {
      blob,
      encodings: meta.encodings,
      cacheControl: IMMUTABLE,
      allowRange: true,
      precompressed: ctx.options.precompressed,
      cache: ctx.blobCache,
    });
  });
  app.on(['POST', 'PUT', 'DELETE', 'PATCH'], ROUTES.blob, methodNotAllowed('GET, HEAD'));
}
