/**
 * What the app's parts share: the options `createApp` takes and the context its routes receive.
 * A file of its own so the routes need not import app.ts, which imports them.
 */
import type { BlobCache } from '../registry/blob-cache.js';
import type { createCatalog } from '../registry/catalog.js';
import type { Encoders } from '../registry/copies.js';
import type { Store } from '../registry/store.js';
import type { AuthLimiter, AuthLimitOptions, ClientAddress, RateLimitBinding } from './auth-limit.js';
import type { Assets } from './routes/scripts.js';
import type { Stats } from './stats.js';

/** The part of the Cache API weft uses (Workers' `caches.default`). */
export interface EdgeCache {
  match(key: Request): Promise<Response | undefined>;
  put(key: Request, response: Response): Promise<void>;
}

export interface AppOptions {
  /** Where the registry's records and blobs live: a driver from `weft/stores/*` (default: an empty memory store). */
  store?: Store;
  /** Bearer token for `PUT` publishing; publishing is disabled when unset. */
  publishToken?: string;
  /** Largest accepted `PUT` body (default 32 MiB). */
  maxUploadBytes?: number;
  /**
   * Pages served with COOP/COEP so they are cross-origin isolated (default `['/']`, the diagnostics
   * page): Hono paths relative to where weft is mounted (`/` is `/wasm` under `site.route('/wasm', app)`).
   */
  isolatedPaths?: string[];
  /**
   * The built client scripts (`sdk.js`, `probe.js`, `emscripten.js`, polyfill bundles), or a promise
   * of them. Default: where the runtime has `process.getBuiltinModule` (Node, Bun, Deno), this
   * package's dist/browser, read on first use; elsewhere none (the Worker reads its ASSETS binding).
   */
  assets?: Assets | Promise<Assets>;
  /** Publish-time compressors (default: gzip). */
  encoders?: Encoders;
  /** Serve precompressed copies with Content-Encoding (default true; false where the runtime re-encodes). */
  precompressed?: boolean;
  /** How long a loaded record (a module's, a blob's, a bundle's) is reused before it is reloaded beside requests (default 2000 ms). */
  manifestTtlMs?: number;
  /** Longest wait for one store call before the request is answered 503 (default 5000 ms; 0 waits forever). */
  storeTimeoutMs?: number;
  /** Limits on failed publish authentications (default: 10 per minute per client key, 1024 keys). */
  authFailures?: AuthLimitOptions;
  /**
   * A counter shared beyond this process, for failed publish logins (on Workers the rate-limiting
   * binding, per Cloudflare location): every failure is counted there too, and a client it finds
   * over its limit is refused here as well. Its limit and period are the binding's (wrangler.toml).
   */
  authLimitBinding?: RateLimitBinding;
  /**
   * The client's address as the platform knows it, to limit failed publish logins per client
   * (the Node entry passes its socket's address, worker.ts Cloudflare's `CF-Connecting-IP`; behind a
   * proxy, `clientAddresses.forwardedFor`). Without it every client shares one bucket.
   */
  clientKey?: ClientAddress;
  /** What the statistics cover, said in `/v1/stats` (default: this process since it started). */
  statsScope?: string;
  /**
   * A shared HTTP cache for negotiated answers (on Workers: `caches.default`). Keys are normalised
   * (one profile in any order is one entry) and carry the module record's generation, so a publish is
   * seen as soon as the record is reloaded.
   */
  edgeCache?: EdgeCache;
  /**
   * Where work that may outlive a `PUT` goes (its blobs' precompressed copies): on Workers the
   * request's `waitUntil` takes it without this; the Node entry keeps it to finish before it closes.
   * Without either, the `PUT` answers once the copies are made.
   */
  background?: (work: Promise<void>) => void;
  /** Memory for verified blob bytes, so hot variants are not re-read and re-hashed (default 64 MiB; 0 off). */
  blobCacheBytes?: number;
}

export interface AppContext {
  store: Store;
  catalog: ReturnType<typeof createCatalog>;
  authLimiter: AuthLimiter;
  stats: Stats;
  blobCache: BlobCache | undefined;
  options: AppOptions;
}
