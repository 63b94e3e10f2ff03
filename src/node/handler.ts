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
import { fsStore } from '../registry/stores/fs.js';
import type { AppOptions } from '../server/app.js';
import { nodeWeft } from './assemble.js';

export interface HandlerOptions extends AppOptions {
  /** The path weft answers under, e.g. `/wasm` (its routes become `/wasm/v1/...`). */
  mount: string;
  /** A filesystem store folder, when no `store` is given. */
  storeDir?: string;
}

export interface Handler {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Waits for the work a publish left running after its answer (its precompressed copies). */
  close(): Promise<void>;
}

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
  // The same assembly as `weft serve` (assemble.ts); its client scripts are read once, before the
  // first request is answered.
  const ready = nodeWeft({
    ...app,
    mount,
    store: options.store ?? fsStore({ dir: storeDir ?? 'weft-store' }),
  });
  ready.catch(() => {});
  const handler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => {
    const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const path = url.split('?')[0] ?? '';
    if (path !== mount && !path.startsWith(`${mount}/`)) {
      if (next) next();
      else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    req.url = url;
    ready.then(
      (weft) => weft.listener(req, res),
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
  return Object.assign(handler, {
    close: async () => {
      await (await ready.catch(() => undefined))?.close();
    },
  });
}
