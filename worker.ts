import type { Hono } from 'hono';
import { createApp } from './src/server/app.js';
import type { EdgeCache } from './src/server/edge-cache.js';
import { type R2BucketLike, r2Store } from './src/server/stores/r2.js';

/** The Worker's bindings (wrangler.toml); the publish token is a secret (`wrangler secret put WEFT_PUBLISH_TOKEN`). */
export interface Env {
  WEFT_BUCKET: R2BucketLike;
  WEFT_PUBLISH_TOKEN?: string;
}

// One app per bucket binding: the binding object is stable for the isolate's life.
const apps = new WeakMap<R2BucketLike, Hono>();

export default {
  fetch(request: Request, env: Env, ctx: unknown): Response | Promise<Response> {
    let app = apps.get(env.WEFT_BUCKET);
    if (!app) {
      app = createApp({
        store: r2Store({ bucket: env.WEFT_BUCKET }),
        ...(env.WEFT_PUBLISH_TOKEN ? { publishToken: env.WEFT_PUBLISH_TOKEN } : {}),
        // Negotiated answers under normalised keys in the colo's cache (one profile, one entry).
        edgeCache: (globalThis as { caches?: { default?: EdgeCache } }).caches?.default,
        // Cloudflare compresses at its edge; a precompressed body would need encodeBody: 'manual'.
        precompressed: false,
        // Cloudflare sets CF-Connecting-IP itself, so failed publish logins can be limited per client.
        trustClientIpHeaders: true,
        // Counters live in isolate memory: say so rather than pretend they cover the deployment.
        statsScope: 'this Workers isolate since it started (not the whole deployment)',
      });
      apps.set(env.WEFT_BUCKET, app);
    }
    return app.fetch(request, env, ctx as never);
  },
};
