import type { AddressInfo } from 'node:net';
import { serve as nodeServe } from '@hono/node-server';
import { createApp } from '../server/app.js';
import type { Store } from '../server/store.js';

export interface ServeOptions {
  store?: Store;
  port?: number;
  host?: string;
}

export interface RunningServer {
  /** The base URL the server answers on, e.g. `http://127.0.0.1:8787`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the weft app on a Node HTTP server (port 0 picks a free one). */
export function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const app = createApp(options.store ? { store: options.store } : {});
  const hostname = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = nodeServe(
      { fetch: app.fetch, port: options.port ?? 8787, hostname },
      (info: AddressInfo) => {
        const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({
          url: `http://${host}:${info.port}`,
          port: info.port,
          close: () => new Promise((done) => server.close(() => done())),
        });
      },
    );
    server.once('error', reject);
  });
}
