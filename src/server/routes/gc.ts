import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ROUTES } from '../../contract/paths.js';
import { collectGarbage, DEFAULT_GRACE_MS, parseGrace } from '../../registry/gc.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { requirePublisher } from '../publisher.js';
import { methodNotAllowed } from './params.js';

/**
 * `POST /v1/gc` (docs/contract.md, "Garbage collection"), with the publish token: one collection,
 * body `{"grace": "1h", "dryRun": false}` (both optional), answered with its report. It runs within
 * the request: on Workers, bounded by what one invocation may do (docs/guides/cloudflare.md).
 */
export function gcRoutes(app: Hono, ctx: AppContext): void {
  app.use(
    ROUTES.gc,
    bodyLimit({
      maxSize: 4096,
      onError: () => {
        throw new ApiError(413, 'body larger than the upload limit');
      },
    }),
  );
  app.post(ROUTES.gc, async (c) => {
    requirePublisher(c, ctx);
    const text = await c.req.text();
    let body: Record<string, unknown> = {};
    try {
      if (text.trim()) body = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'the body must be JSON: {"grace": "1h", "dryRun": false}', { code: 'bad_gc' });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ApiError(400, 'the body must be a JSON object', { code: 'bad_gc' });
    for (const key of Object.keys(body))
      if (key !== 'grace' && key !== 'dryRun')
        throw new ApiError(400, 'only grace and dryRun are known fields', { code: 'bad_gc' });
    const graceMs = body.grace === undefined ? DEFAULT_GRACE_MS : parseGrace(String(body.grace));
    if (graceMs === null || (body.grace !== undefined && typeof body.grace !== 'string'))
      throw new ApiError(400, 'grace must be a duration such as "0", "90s", "30m", "1h", "7d"', {
        code: 'bad_gc',
      });
    if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean')
      throw new ApiError(400, 'dryRun must be true or false', { code: 'bad_gc' });
    const report = await collectGarbage(ctx.store, { graceMs, dryRun: body.dryRun === true });
    ctx.catalog.invalidate();
    return c.json(report, 200, { 'Cache-Control': 'no-store' });
  });
  app.on(['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'], ROUTES.gc, methodNotAllowed('POST'));
}
