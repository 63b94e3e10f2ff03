/**
 * weft on Cloudflare Workers (`weft/worker`): a fetch handler over an R2 bucket, its binding names
 * yours. `weft init worker` writes a wrangler.toml and a worker.js that use it.
 *
 * @example
 * // worker.js (wrangler.toml binds the R2 bucket as MY_BUCKET, the client scripts as ASSETS)
 * import { createWorker } from 'weft/worker';
 * export default createWorker({ bucket: 'MY_BUCKET', token: 'MY_TOKEN' });
 */
import type { Hono } from 'hono';
import { type R2BucketLike, r2Store } from '../registry/stores/r2.js';
import { type AppOptions, createApp } from '../server/app.js';
import { collectAssets } from '../server/assets.js';
import { clientAddresses, type RateLimitBinding } from '../server/auth-limit.js';
import type { EdgeCache } from '../server/edge-cache.js';

export type { R2BucketLike };

/** A Workers static-assets binding (`[assets] binding` in wrangler.toml). */
export interface AssetsBinding {
  fetch(request: Request): Promise<Response>;
}

export interface WorkerOptions extends Omit<AppOptions, 'store' | 'publishToken' | 'assets'> {
  /** The R2 binding holding the registry (default `WEFT_BUCKET`). */
  bucket?: string;
  /** The secret or variable holding the publish token (default `WEFT_PUBLISH_TOKEN`); publishing is off without it. */
  token?: string;
  /** The static-assets binding serving the built client scripts, dist/browser (default `ASSETS`). */
  assets?: string;
  /**
   * The rate-limiting binding that counts failed publish logins per Cloudflare location (default
   * `WEFT_AUTH_LIMIT`); without one bound, the limit is this isolate's alone.
   */
  authLimit?: string;
}

export interface WeftWorker {
  fetch(request: Request, env: Record<string, unknown>, ctx?: unknown): Promise<Response>;
}

/**
 * A Worker's `{ fetch }`: one weft app per bucket binding (stable for the isolate's life), its
 * client scripts read once through the assets binding before its first answer.
 */
export function createWorker(options: WorkerOptions = {}): WeftWorker {
  const {
    bucket = 'WEFT_BUCKET',
    token = 'WEFT_PUBLISH_TOKEN',
    assets = 'ASSETS',
    authLimit = 'WEFT_AUTH_LIMIT',
    ...app
  } = options;
  const apps = new WeakMap<R2BucketLike, Promise<Hono>>();
  return {
    fetch(request, env, ctx) {
      const store = env[bucket] as R2BucketLike | undefined;
      if (!store)
        return Promise.resolve(
          Response.json(
            { error: { code: 'unavailable', message: `no R2 bucket bound as ${bucket}` } },
            { status: 503 },
          ),
        );
      let made = apps.get(store);
      if (!made) {
        const limiter = env[authLimit] as RateLimitBinding | undefined;
        made = makeApp(store, env[token], env[assets] as AssetsBinding | undefined, {
          ...(typeof limiter?.limit === 'function' ? { authLimitBinding: limiter } : {}),
          ...app,
        });
        apps.set(store, made);
        // A failed start is not kept: the next request tries again.
        made.catch(() => apps.delete(store));
      }
      return made.then((a) => a.fetch(request, env, ctx as never));
    },
  };
}

async function makeApp(
  bucket: R2BucketLike,
  token: unknown,
  binding: AssetsBinding | undefined,
  options: Omit<AppOptions, 'store' | 'publishToken' | 'assets'>,
): Promise<Hono> {
  const assets = binding
    ? await collectAssets(async (path) => {
        const res = await binding.fetch(new Request(`https://assets.local/${path}`));
        return res.ok ? res.text() : undefined;
      })
    : {};
  return createApp({
    // Negotiated answers under normalised keys in the colo's cache (one profile, one entry).
    edgeCache: (globalThis as { caches?: { default?: EdgeCache } }).caches?.default,
    // Cloudflare compresses at its edge; a precompressed body would need encodeBody: 'manual'.
    precompressed: false,
    // Cloudflare sets CF-Connecting-IP itself, so failed publish logins are limited per client.
    clientKey: clientAddresses.cloudflare,
    // Counters live in isolate memory: say so rather than pretend they cover the deployment.
    statsScope: 'this Workers isolate since it started (not the whole deployment)',
    ...options,
    store: r2Store({ bucket }),
    assets,
    ...(typeof token === 'string' && token ? { publishToken: token } : {}),
  });
}
