/**
 * The one Node assembly of weft, for `weft serve` (serve.ts) and `weftHandler` (handler.ts) alike:
 * the built client scripts, the Node encoders, the socket address as the client key, precompressed
 * copies made after a publish has answered (and waited for on close), the answer cache for
 * `/resolve`, and the API's JSON error for a request the adapter cannot even build.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener, RequestError } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import type { Store } from '../registry/store.js';
import { type AppOptions, createWeft } from '../server/app.js';
import { answerCache } from './answer-cache.js';
import { loadAssets } from './assets.js';
import { nodeEncoders } from './encoders.js';

export interface NodeWeftOptions extends AppOptions {
  store: Store;
  /** The path weft answers under (`/wasm`), normalised; absent: the root. */
  mount?: string;
  /** The host a request without a Host header is taken to name (the address listened on). */
  hostname?: string;
}

export interface NodeWeft {
  /** Answers one request (one of weft's, under the mount when there is one). */
  listener(req: IncomingMessage, res: ServerResponse): void;
  /** Waits for the work still running after its answer (precompressed copies). */
  close(): Promise<void>;
}

/** The address of the socket a request came in on (the Node entry's client key). */
export const socketAddress = (c: Context): string | undefined => getConnInfo(c).remote.address;

/**
 * What the adapter answers when it cannot even build a Request (a backslash in the path, a bad
 * Host): the API's JSON error, not an empty 400, and nothing of the input.
 */
function adapterError(err: unknown): Response {
  const bad = err instanceof RequestError;
  if (!bad) console.error('weft: internal error:', err);
  const error = bad
    ? { code: 'bad_request', message: 'malformed request' }
    : { code: 'internal', message: 'internal error' };
  return Response.json({ error }, { status: bad ? 400 : 500 });
}

/** Builds weft for Node over `options.store`, once the client scripts are read. */
export async function nodeWeft(options: NodeWeftOptions): Promise<NodeWeft> {
  const { mount, hostname, ...app } = options;
  const pending = new Set<Promise<void>>();
  const weft = createWeft({
    assets: await loadAssets(),
    encoders: nodeEncoders,
    // The socket's address: failed publish logins are limited per client, not in one bucket.
    clientKey: socketAddress,
    background: (work) => {
      pending.add(work);
      work.finally(() => pending.delete(work));
    },
    ...app,
  });
  const answers = answerCache(weft, mount ?? '');
  const fetch = mount ? new Hono().route(mount, weft.app).fetch : weft.app.fetch;
  // getRequestListener rather than serve(): serve() does not pass errorHandler on.
  const inner = getRequestListener(answers.wrap(fetch), {
    errorHandler: adapterError,
    ...(hostname ? { hostname } : {}),
  });
  return {
    listener: (req, res) => {
      if (!answers.serve(req, res)) void inner(req, res);
    },
    close: async () => {
      await Promise.allSettled(pending);
    },
  };
}
