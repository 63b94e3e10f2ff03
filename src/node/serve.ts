import type { AddressInfo } from 'node:net';
import { serve as nodeServe } from '@hono/node-server';
import { createApp } from '../server/app.js';
import { MANIFEST_KEY, parseManifest } from '../server/manifest.js';
import type { Store } from '../server/store.js';
import { fsStore } from '../server/stores/fs.js';
import { loadAssets } from './assets.js';
import { seedDemo } from './demo.js';
import { nodeEncoders } from './encoders.js';

export interface ServeOptions {
  /** A store; or `storeDir` for a filesystem store seeded with the demo when empty. */
  store?: Store;
  storeDir?: string;
  port?: number;
  host?: string;
  publishToken?: string;
}

export interface RunningServer {
  /** The base URL the server answers on, e.g. `http://127.0.0.1:8787`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the weft app on a Node HTTP server (port 0 picks a free one). */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const store = options.store ?? fsStore({ dir: options.storeDir ?? 'weft-store' });
  if (!options.store) await seedDemo(store, nodeEncoders);
  // Refuse to start on a bad manifest: the error names the field (ManifestError).
  const manifest = await store.get(MANIFEST_KEY);
  if (manifest) parseManifest(manifest);
  const app = createApp({
    store,
    assets: loadAssets(),
    encoders: nodeEncoders,
    ...(options.publishToken ? { publishToken: options.publishToken } : {}),
  });
  const hostname = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = nodeServe(
      { fetch: app.fetch, port: options.port ?? 8787, hostname },
      (info: AddressInfo) => {
        const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({
          url: `http://${host}:${info.port}`,
          port: info.port,
          close: () =>
            new Promise((done) => {
              server.close(() => done());
              (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            }),
        });
      },
    );
    server.once('error', reject);
  });
}
