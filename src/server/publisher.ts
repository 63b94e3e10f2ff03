import type { Context } from 'hono';
import type { Defer } from '../registry/publish.js';
import { clientKey, shareFailure } from './auth-limit.js';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';

/**
 * Lets a request publish only with the configured bearer token: 403 when publishing is disabled,
 * 429 while its client key is over the failed-login limit (the right token too), 401 otherwise
 * (counted). Every publishing route (`PUT` a variant, the upload protocol) checks this first,
 * before it reads a body.
 */
export function requirePublisher(c: Context, ctx: AppContext): void {
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
    const shared = ctx.options.authLimitBinding;
    if (shared) keepGoing(c, shareFailure(shared, ctx.authLimiter, key));
    throw new ApiError(401, 'a valid bearer token is required to publish', {
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  }
}

/** Lets work finish after the answer: the request's `waitUntil` on Workers; elsewhere it simply runs on. */
function keepGoing(c: Context, work: Promise<void>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No ExecutionContext: not on Workers.
  }
}

/**
 * A publish (`PUT`, an upload commit) answers once it is committed; its precompressed copies are made after, on the
 * request's `waitUntil` (Workers) or the app's `background` (the Node entry), and are seen once they
 * are recorded. Without either the `PUT` waits for them.
 */
export function laterWork(c: Context, ctx: AppContext): Defer | undefined {
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

/** Constant-time comparison of two strings (the publish token): no early exit on the first difference. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
