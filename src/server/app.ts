import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ROUTES } from '../contract/paths.js';
import { createBlobCache } from '../registry/blob-cache.js';
import { createCatalog } from '../registry/catalog.js';
import { withTimeout } from '../registry/store.js';
import { memoryStore } from '../registry/stores/memory.js';
import { packageAssets } from './assets.js';
import { createAuthLimiter } from './auth-limit.js';
import type { AppContext, AppOptions } from './context.js';
import { ApiError, onError } from './errors.js';
import { PAGE } from './page.js';
import { blobRoutes } from './routes/blobs.js';
import { bundleRoutes } from './routes/bundles.js';
import { gcRoutes } from './routes/gc.js';
import { moduleRoutes } from './routes/modules.js';
import { publishRoutes } from './routes/publish.js';
import { scriptRoutes } from './routes/scripts.js';
import { uploadRoutes } from './routes/uploads.js';
import { versionRoutes } from './routes/versions.js';
import { createStats } from './stats.js';

export type { AppContext, AppOptions } from './context.js';

const MAX_URL = 4096;
const EXPOSED = 'Wasm-Variant,Weft-Profile-Source,Content-Digest,ETag,Link,Content-Length,Content-Range';

/**
 * The weft HTTP app (contract.md, HTTP API v1). Imports nothing runtime-specific: the Node entry
 * and `worker.ts` build a store from their environment and hand it over.
 *
 * @example
 * import { createApp } from 'weft/server';
 * import { fsStore } from 'weft/stores/fs';
 * const app = createApp({ store: fsStore({ dir: './weft-store' }), publishToken: process.env.TOKEN });
 * site.route('/wasm', app); // mounted on a Hono site, or served alone: export default app
 */
export function createApp(options: AppOptions = {}): Hono {
  return createWeft(options).app;
}

/** The app with the catalog and statistics behind it, for an entry that answers some requests itself (the Node entry's answer cache). */
export function createWeft(options: AppOptions = {}): Pick<AppContext, 'catalog' | 'stats'> & { app: Hono } {
  const store = withTimeout(options.store ?? memoryStore(), options.storeTimeoutMs ?? 5000);
  const ctx: AppContext = {
    store,
    catalog: createCatalog(store, options.manifestTtlMs),
    authLimiter: createAuthLimiter(options.authFailures),
    stats: createStats(options.statsScope ?? 'this server process since it started'),
    blobCache:
      options.blobCacheBytes === 0 ? undefined : createBlobCache(options.blobCacheBytes ?? 64 * 1024 * 1024),
    options,
  };
  const app = new Hono();

  app.use(async (c, next) => {
    if (c.req.url.length > MAX_URL) throw new ApiError(414, `URL longer than ${MAX_URL} characters`);
    await next();
  });
  // Headers are set before the handler runs, so every response the context builds (answers and
  // errors alike) is created with them: changing a finished response costs a copy on Node.
  // Registered per path, so a mount (`site.route('/wasm', app)`) prefixes them as it does routes.
  for (const path of options.isolatedPaths ?? ['/']) {
    app.use(path, async (c, next) => {
      // `?isolation=off` serves a page without COOP/COEP, to see what a non-isolated visitor gets.
      if (c.req.query('isolation') !== 'off') {
        c.header('Cross-Origin-Opener-Policy', 'same-origin');
        c.header('Cross-Origin-Embedder-Policy', 'require-corp');
      }
      await next();
    });
  }
  // CORS and CORP for /v1: any origin may load the scripts and the wasm (isolated pages included).
  // COEP too: a script an isolated page starts as a worker (a bundle's worker script, a glue that
  // is its own worker, loaded from a same-origin mount) must carry require-corp itself, or the
  // browser refuses that worker. It changes nothing for a response that is no document or worker.
  app.use(ROUTES.all, async (c, next) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Expose-Headers', EXPOSED);
    c.header('Cross-Origin-Resource-Policy', 'cross-origin');
    c.header('Cross-Origin-Embedder-Policy', 'require-corp');
    if (c.req.method !== 'OPTIONS') return next();
    return c.body(null, 204, {
      'Access-Control-Allow-Methods': 'GET,HEAD,PUT,POST,DELETE,OPTIONS',
      'Access-Control-Allow-Headers':
        'Wasm-Caps,Range,If-None-Match,Authorization,Content-Type,Weft-Upload-Lease',
      'Access-Control-Max-Age': '86400',
    });
  });
  app.use(
    ROUTES.variant,
    bodyLimit({
      maxSize: options.maxUploadBytes ?? 32 * 1024 * 1024,
      onError: () => {
        throw new ApiError(413, 'body larger than the upload limit');
      },
    }),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/', (c) => c.html(pageAt(c.req.path), 200, { 'Cache-Control': 'no-cache' }));
  app.get(ROUTES.stats, (c) => c.json(ctx.stats.snapshot(), 200, { 'Cache-Control': 'no-store' }));
  moduleRoutes(app, ctx);
  blobRoutes(app, ctx);
  bundleRoutes(app, ctx);
  scriptRoutes(app, options.assets ?? packageAssets);
  publishRoutes(app, ctx);
  uploadRoutes(app, ctx);
  versionRoutes(app, ctx);
  gcRoutes(app, ctx);

  app.notFound(() => {
    throw new ApiError(404, 'no such route');
  });
  app.onError(onError);
  return { app, catalog: ctx.catalog, stats: ctx.stats };
}

const pages = new Map<string, string>();

/**
 * The diagnostics page for where it is served: its root-relative `/v1/` URLs under the mount
 * (`/wasm/v1/probe.js` when the page is `/wasm`), so a mounted weft's page reaches its own API.
 */
function pageAt(path: string): string {
  const mount = path.replace(/\/+$/, '');
  // The path is the request's (a mount may have parameters): only a plain one goes into the script.
  if (!/^[A-Za-z0-9._~/-]*$/.test(mount)) return PAGE;
  let page = pages.get(mount);
  if (page === undefined) {
    page = mount === '' ? PAGE : PAGE.replace(/(['"`])\/v1\//g, (_, quote: string) => `${quote}${mount}/v1/`);
    // Mounts are few and fixed by the code that mounts weft; the bound only guards odd callers.
    if (pages.size < 16) pages.set(mount, page);
  }
  return page;
}
