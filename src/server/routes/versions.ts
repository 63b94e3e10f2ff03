import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { isVersion, VERSION_RULE } from '../../contract/names.js';
import { ROUTES } from '../../contract/paths.js';
import { listVersions, removeVersion, rollback } from '../../registry/versions.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { requirePublisher } from '../publisher.js';
import { methodNotAllowed, nameParam } from './params.js';

/** A version from a path or a body: validated, never echoed raw. */
function versionOf(value: unknown): string {
  if (!isVersion(value)) throw new ApiError(400, `version ${VERSION_RULE}`);
  return value;
}

/**
 * A module's versions (docs/contract.md, "Versions"): the listing for anyone; rollback (`PUT
 * .../current`) and removal (`DELETE .../versions/:version`) with the publish token, each one
 * compare-and-swap in the store (registry/versions.ts), seen by this process's catalog at once and
 * by others' within its freshness rule.
 */
export function versionRoutes(app: Hono, ctx: AppContext): void {
  app.get(ROUTES.versions, async (c) => {
    const listing = await listVersions(ctx.store, nameParam(c, 'name'));
    if (!listing) throw new ApiError(404, 'no such module');
    return c.json(listing, 200, { 'Cache-Control': 'no-cache' });
  });

  app.use(
    ROUTES.current,
    bodyLimit({
      maxSize: 4096,
      onError: () => {
        throw new ApiError(413, 'body larger than the upload limit');
      },
    }),
  );
  app.put(ROUTES.current, async (c) => {
    requirePublisher(c, ctx);
    const name = nameParam(c, 'name');
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      throw new ApiError(400, 'the body must be JSON: {"version": "1.0.0"}');
    }
    const version = versionOf((body as { version?: unknown } | null)?.version);
    const { previous } = await rollback(ctx.store, name, version);
    ctx.catalog.invalidate();
    return c.json({ module: name, current: version, previous });
  });

  app.delete(ROUTES.version, async (c) => {
    requirePublisher(c, ctx);
    const name = nameParam(c, 'name');
    const removed = await removeVersion(ctx.store, name, versionOf(c.req.param('version')));
    ctx.catalog.invalidate();
    return c.json({ module: name, ...removed });
  });

  app.on(['POST', 'PUT', 'DELETE', 'PATCH'], ROUTES.versions, methodNotAllowed('GET, HEAD'));
  app.on(['GET', 'HEAD', 'POST', 'DELETE', 'PATCH'], ROUTES.current, methodNotAllowed('PUT'));
  app.on(['GET', 'HEAD', 'POST', 'PUT', 'PATCH'], ROUTES.version, methodNotAllowed('DELETE'));
}
