import type { Hono } from 'hono';
import { isVersion, VERSION_RULE } from '../../contract/names.js';
import { ROUTES } from '../../contract/paths.js';
import { DeclarationError, parseDeclaration } from '../../registry/declaration.js';
import { publish } from '../../registry/publish.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { laterWork, requirePublisher } from '../publisher.js';
import { nameParam } from './params.js';

/** Query parameters that declare what inspection cannot see (declaration.ts). */
const DECLARED = ['requires', 'model', 'threads', 'polyfills', 'hosts'] as const;

export function publishRoutes(app: Hono, ctx: AppContext): void {
  app.put(ROUTES.variant, async (c) => {
    requirePublisher(c, ctx);
    const module = nameParam(c, 'name');
    const variant = nameParam(c, 'variant');
    const version = c.req.query('version');
    if (version !== undefined && !isVersion(version)) throw new ApiError(400, `version ${VERSION_RULE}`);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length === 0) throw new ApiError(400, 'the body must be a WebAssembly binary');
    const query = c.req.query();
    const declaration = parseDeclaration(
      Object.fromEntries(DECLARED.filter((k) => query[k] !== undefined).map((k) => [k, query[k]])),
    );
    const fallback = query.fallback;
    if (fallback !== undefined && fallback !== 'true')
      throw new DeclarationError('fallback', 'must be true (it marks this variant as the fallback)');
    const result = await publish(
      ctx.store,
      {
        module,
        variant,
        bytes,
        declaration,
        ...(version ? { version } : {}),
        ...(fallback ? { fallback: true } : {}),
        ...(query.order !== undefined ? { order: query.order.split(',') } : {}),
      },
      ctx.options.encoders,
      laterWork(c, ctx),
    );
    ctx.catalog.invalidate();
    const { ordering, report } = result;
    return c.json(
      {
        module,
        version: result.entry.version,
        variant: result.variant,
        toolchain: report.toolchain,
        notes: report.notes,
        order: {
          variants: ordering.variants.map((v) => v.name),
          reasons: ordering.reasons,
          hidden: ordering.hidden,
        },
      },
      201,
    );
  });
}
