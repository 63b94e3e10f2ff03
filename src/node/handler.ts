/**
 * weft as a Node request handler, to mount beside a site on one origin (what builds whose workers
 * must come from the page's origin need: .NET's threaded runtime, wasm-bindgen-rayon):
 *
 * @example
 * import { createServer } from 'node:http';
 * import { weftHandler } from 'weft/node';
 * const weft = weftHandler({ mount: '/wasm', storeDir: './weft-store' });
 * createServer((req, res) => weft(req, res, () => site(req, res))).listen(8080);
 * // Express or Connect: app.use(weftHandler({ mount: '/wasm', storeDir: './weft-store' }));
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { fsStore } from '../registry/stores/fs.js';
import { type AppOptions, createApp } from '../server/app.js';
import { loadAssets } from './assets.js';
import { nodeEncoders } from './encoders.js';
import { socketAddress } from './serve.js';

export interface HandlerOptions extends AppOptions {
  /** The path weft answers under, e.g. `/wasm` (its routes become `/wasm/v1/...`). */
  mount: string;
  /** A filesystem store folder, when no `store` is given. */
  storeDir?: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/**
 * A `(req, res, next)` handler: requests under `mount` are weft's (its JSON 404 included); any other
 * goes to `next`, or gets a plain 404 when there is none. Express's `req.originalUrl` is honoured, so
 * it works mounted with or without a path.
 */
export function weftHandler(options: HandlerOptions): Handler {
  const mount = `/${options.mount.replace(/^\/+|\/+$/g, '')}`;
  if (!/^\/[A-Za-z0-9._~/-]+$/.test(mount) || mount.includes('//'))
    throw new Error('weftHandler: mount must be a path like /wasm');
  const { mount: _m, storeDir, ...app } = options;
  // The built client scripts are read once, before the first request is answered.
  const listener = loadAssets().then((assets) => {
    const weft = createApp({
      assets,
      encoders: nodeEncoders,
      clientKey: socketAddress,
      ...app,
      store: options.store ?? fsStore({ dir: storeDir ?? 'weft-store' }),
    });
    return getRequestListener(new Hono().route(mount, weft).fetch);
  });
  return (req, res, next) => {
    const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const path = url.split('?')[0] ?? '';
    if (path !== mount && !path.startsWith(`${mount}/`)) {
      if (next) next();
      else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    req.url = url;
    listener.then(
      (answer) => answer(req, res),
      (err: unknown) => {
        // weft could not start (its scripts unreadable, a bad option): say so, never hang the request.
        if (next) next(err);
        else
          res
            .writeHead(503, { 'Content-Type': 'application/json' })
            .end('{"error":{"code":"unavailable","message":"weft did not start"}}');
      },
    );
  };
}
