import { Hono } from 'hono';
import { ApiError, onError } from './errors.js';
import type { Store } from './store.js';

export interface AppOptions {
  /** Where the manifest and blobs live: a driver from `weft/stores/*`. */
  store?: Store;
}

/**
 * The weft HTTP app (contract.md, HTTP API v1). Imports nothing runtime-specific: the Node entry
 * and `worker.ts` build a store from their environment and hand it over.
 */
export function createApp(_options: AppOptions = {}): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.notFound(() => {
    throw new ApiError(404, 'no such route');
  });
  app.onError(onError);
  return app;
}
