import type { Hono } from 'hono';
import { type R2BucketLike, r2Store } from './src/registry/stores/r2.js';
import { createApp } from './src/server/app.js';
import { collectAssets } from './src/server/assets.js';
import { clientAddresses } from './src/server/auth-limit.js';
import type { EdgeCache } from './src/server/edge-cache.js';

/** The Worker's bindings (wrangler.toml); the publish token is a secret (`wrangler secret put WEFT_PUBLISH_TOKEN`). */
export interface Env {
  WEFT_BUCKET: R2BucketLike;
  WEFT_PUBLISH_TOKEN?: string;
  /** Workers static assets: the built client scripts (dist/browser). */
  ASSETS?: { fetch(request: Request): Promise<Response> };
}

// One app per bucket binding: the binding object is stable for the isolate's life. The client
// scripts are read once per isolate, before its first answer.
const apps = new WeakMap<R2BucketLike, Promise<Hono>>();

export default {
  fetch(request: Request, env: Env, ctx: unknown): Promise<Response> {
    let app = apps.get(env.WEFT_BUCKET);
    if (!app) {
      app = makeApp(env);
      apps.set(env.WEFT_BUCKET, app);
      // A failed start is not kept: the next request tries again.
      app.catch(() => apps.delete(env.WEFT_BUCKET));
    }
    return app.then((a) => a.fetch(request, env, ctx as never));
  },
};

async function makeApp(env: Env): Promise<Hono> {
  const bucket = env.ASSETS;
  const assets = bucket
    ? await collectAssets(async (path) => {
        const res = await bucket.fetch(new Request(`https://assets.local/${path}`));
        return res.ok ? res.text() : undefined;
      })
    : {};
  return createApp({
    store: r2Store({ bucket: env.WEFT_BUCKET }),
    assets,
    ...(env.WEFT_PUBLISH_TOKEN ? { publishToken: env.WEFT_PUBLISH_TOKEN } : {}),
    // Negotiated answers under normalised keys in the colo's cache (one profile, one entry).
    edgeCache: (globalThis as { caches?: { default?: EdgeCache } }).caches?.default,
    // Cloudflare compresses at its edge; a precompressed body would need encodeBody: 'manual'.
    precompressed: false,
    // Cloudflare sets CF-Connecting-IP itself, so failed publish logins are limited per client.
    clientKey: clientAddresses.cloudflare,
    // Counters live in isolate memory: say so rather than pretend they cover the deployment.
    statsScope: 'this Workers isolate since it started (not the whole deployment)',
  });
}
