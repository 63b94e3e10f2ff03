import type { Context, Hono } from 'hono';
import { DeclarationError, parseDeclaration } from '../../registry/declaration.js';
import { timingSafeEqual } from '../../registry/digest.js';
import { type Defer, publish } from '../../registry/publish.js';
import type { AppContext } from '../app.js';
import { clientKey } from '../auth-limit.js';
import { ApiError } from '../errors.js';
import { nameParam } from './params.js';

const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;
/** Query parameters that declare what inspection cannot see (declaration.ts). */
const DECLARED = ['requires', 'model', 'threads', 'polyfills', 'hosts'] as const;

/**
 * The `PUT` answers once the variant is committed; its precompressed copies are made after, on the
 * request's `waitUntil` (Workers) or the app's `background` (the Node entry), and are seen once they
 * are recorded. Without either the `PUT` waits for them.
 */
function laterWork(c: Context, ctx: AppContext): Defer | undefined {
  let waitUntil: ((work: Promise<unknown>) => void) | undefined;
  try {
    const ec = c.executionCtx;
    waitUntil = ec.waitUntil.bind(ec);
  } catch {
    // No ExecutionContext: not on Workers.
  }
  const hand = waitUntil ?? ctx.options.background;
  if (!hand) return undefined;
  return (copies) =>
    hand(
      copies.then(
        () => ctx.catalog.invalidate(),
        (err) =>
          console.error(
            `weft: precompressed copies failed: ${err instanceof Error ? err.message : String(err)}`,
          ),
      ),
    );
}

export function publishRoutes(app: Hono, ctx: AppContext): void {
  app.put('/v1/modules/:name/variants/:variant', async (c) => {
    const token = ctx.options.publishToken;
    if (!token)
      throw new ApiError(403, 'publishing is disabled: no publish token is configured', {
        code: 'publish_disabled',
      });
    const key = clientKey(c, ctx.options.clientKey);
    const wait = ctx.authLimiter.retryAfter(key);
    if (wait > 0)
      throw new ApiError(429, 'too many failed authentications; retry later', {
        headers: { 'Retry-After': String(wait) },
      });
    const auth = c.req.header('Authorization') ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
    if (!timingSafeEqual(given, token)) {
      ctx.authLimiter.fail(key);
      throw new ApiError(401, 'a valid bearer token is required to publish', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    const module = nameParam(c, 'name');
    const variant = nameParam(c, 'variant');
    const version = c.req.query('version');
    if (version !== undefined && !VERSION.test(version))
      throw new ApiError(400, 'version must be 1 to 64 of [0-9A-Za-z.+-]');
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
