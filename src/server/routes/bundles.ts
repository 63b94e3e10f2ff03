import type { Hono } from 'hono';
import { addressOfHex } from '../../contract/address.js';
import { bundleBase, ROUTES } from '../../contract/paths.js';
import { BUNDLE_ID, contentTypeOf } from '../../registry/bundle.js';
import { blobKey, fileKey } from '../../registry/records.js';
import { blobResponse } from '../blob-response.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { methodNotAllowed } from './params.js';

/** Content-addressed: a bundle id names exactly these files forever. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * `GET /v1/bundles/<id>/<path>`: one file of a published bundle, under the path its toolchain
 * wrote, so the glue's own relative loads (its .wasm, its worker script) resolve inside the bundle.
 * Every read is checked against the file's hash, like a blob.
 */
export function bundleRoutes(app: Hono, ctx: AppContext): void {
  app.on(['GET', 'HEAD'], ROUTES.bundleFile, async (c) => {
    const id = c.req.param('id');
    if (!BUNDLE_ID.test(id)) throw new ApiError(400, 'bundle ids are 32 lowercase hex');
    const prefix = bundleBase(id);
    const raw = new URL(c.req.url).pathname;
    const at = raw.indexOf(prefix);
    // An id written percent-encoded is not the id's own spelling: no such bundle URL.
    if (at < 0) throw new ApiError(404, 'no such bundle');
    let path: string;
    try {
      path = decodeURIComponent(raw.slice(at + prefix.length));
    } catch {
      throw new ApiError(400, 'malformed path');
    }
    const bundle = await ctx.catalog.bundle(id);
    if (!bundle) throw new ApiError(404, 'no such bundle');
    // Exact match only: the path is compared, never joined onto a store key.
    const file = bundle.files.find((f) => f.path === path);
    if (!file) throw new ApiError(404, 'no such file in this bundle');
    return blobResponse(c, ctx.store, {
      blob: addressOfHex(file.sha256),
      key: file.role === 'wasm' ? blobKey(addressOfHex(file.sha256)) : fileKey(file.sha256),
      contentType: contentTypeOf(file.path),
      cacheControl: IMMUTABLE,
      allowRange: true,
      cache: ctx.blobCache,
    });
  });
  app.on(['POST', 'PUT', 'DELETE', 'PATCH'], ROUTES.bundleFile, methodNotAllowed('GET, HEAD'));
}
