/**
 * Slows down token guessing: failed publish authentications are counted per client key in a fixed
 * window, and a key over its limit is answered 429 (even with the right token, or the limit would
 * only delay a guesser) until its window ends. Memory is bounded by `maxKeys`. The count lives in
 * this process (on Workers, this isolate); where the platform has a shared counter (the Workers
 * rate-limiting binding, counted per Cloudflare location), each failure is counted there too, and
 * a key it finds over the limit is blocked here as well (SECURITY.md says what holds where).
 */
import type { Context } from 'hono';

export interface AuthLimitOptions {
  /** Failed attempts allowed per key and window (default 10). */
  max?: number;
  /** The window, from a key's first failure (default 60 000 ms). */
  windowMs?: number;
  /** Most keys tracked at once; the oldest is forgotten first (default 1024). */
  maxKeys?: number;
}

export interface AuthLimiter {
  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string): number;
  /** Counts one failed attempt of `key`. */
  fail(key: string): void;
  /** Treats `key` as over its limit for a whole window from now (a shared counter said so). */
  block(key: string): void;
  /** Keys tracked now (for tests: memory stays bounded). */
  size(): number;
}

export function createAuthLimiter(options: AuthLimitOptions = {}): AuthLimiter {
  const max = options.max ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const maxKeys = Math.max(1, options.maxKeys ?? 1024);
  const buckets = new Map<string, { count: number; resetAt: number }>();

  const live = (key: string, now: number) => {
    const bucket = buckets.get(key);
    if (bucket && bucket.resetAt <= now) {
      buckets.delete(key);
      return undefined;
    }
    return bucket;
  };

  const fail = (key: string): void => {
    const now = Date.now();
    const bucket = live(key, now);
    if (bucket) {
      bucket.count++;
      return;
    }
    if (buckets.size >= maxKeys) {
      for (const [k, b] of buckets) if (b.resetAt <= now) buckets.delete(k);
      // Still full: forget the oldest key (Map order is insertion order).
      while (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
    }
    buckets.set(key, { count: 1, resetAt: now + windowMs });
  };

  return {
    retryAfter(key) {
      const now = Date.now();
      const bucket = live(key, now);
      return bucket && bucket.count >= max ? Math.max(1, Math.ceil((bucket.resetAt - now) / 1000)) : 0;
    },
    fail,
    block(key) {
      const now = Date.now();
      const bucket = live(key, now);
      if (bucket) {
        bucket.count = Math.max(bucket.count, max);
        bucket.resetAt = Math.max(bucket.resetAt, now + windowMs);
        return;
      }
      fail(key);
      buckets.get(key)!.count = max;
    },
    size: () => buckets.size,
  };
}

/**
 * The Workers rate-limiting binding (`[[ratelimits]]` in wrangler.toml): `limit` counts one use of
 * `key` and says whether it is still within the binding's limit, per Cloudflare location.
 */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/**
 * Counts a failure against the shared counter as well; once it answers that the key is over, this
 * isolate blocks the key for its window. The count is asynchronous: the failing request is answered
 * 401 at once, and the block applies from the next request this isolate takes from the key.
 */
export function shareFailure(binding: RateLimitBinding, limiter: AuthLimiter, key: string): Promise<void> {
  return binding.limit({ key: `weft-auth:${key}` }).then(
    (outcome) => {
      if (!outcome.success) limiter.block(key);
    },
    (err) =>
      console.error(`weft: the rate-limiting binding failed: ${(err as Error)?.message ?? String(err)}`),
  );
}

const GLOBAL = 'global';

/** Where a request came from, as the platform knows it (AppOptions.clientKey). */
export type ClientAddress = (c: Context) => string | undefined;

/**
 * Client addresses as platforms give them. Cloudflare sets `CF-Connecting-IP` itself; a proxy
 * appends the address it saw to `X-Forwarded-For`, so only its last entry is to be believed, and
 * only behind such a proxy (the Node entry uses its socket's address by default).
 */
export const clientAddresses = {
  cloudflare: ((c) => c.req.header('CF-Connecting-IP')?.trim()) as ClientAddress,
  forwardedFor: ((c) => c.req.header('X-Forwarded-For')?.split(',').at(-1)?.trim()) as ClientAddress,
};

/**
 * The key a request's failures count against: the client's address as the platform entry says
 * (`clientKey`), bounded so a long value cannot grow the map's memory; without one, every client
 * shares one bucket, which a guesser cannot escape by forging headers.
 */
export function clientKey(c: Context, address: ClientAddress | undefined): string {
  const value = address?.(c);
  return value ? `ip:${value.slice(0, 64)}` : GLOBAL;
}
