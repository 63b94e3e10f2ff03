import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ensureMigrated } from '../registry/migrate.js';
import type { Store } from '../registry/store.js';
import { fsStore } from '../registry/stores/fs.js';
import { nodeWeft } from './assemble.js';
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

/**
 * The largest request head (request line and headers) Node's parser takes. Node's default, 16 KiB,
 * would answer a long URL with its own bare 431 before the app could give its JSON 414 (the app's
 * limit is 4096 characters); 64 KiB lets every such request reach the app and still bounds what a
 * client can make the server hold.
 */
export const MAX_HEAD_BYTES = 64 * 1024;

/**
 * What the server answers when Node's parser refuses a request before the app sees it: the API's
 * JSON error (431 for a head over {@link MAX_HEAD_BYTES}, 400 for anything else), never Node's
 * empty reply, and nothing of the input.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const [status, reason, code, message] = tooLarge
    ? [
        431,
        'Request Header Fields Too Large',
        'header_too_large',
        `request head over ${MAX_HEAD_BYTES} bytes`,
      ]
    : [400, 'Bad Request', 'bad_request', 'malformed request'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Starts the weft app on a Node HTTP server (port 0 picks a free one). */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const store = options.store ?? fsStore({ dir: options.storeDir ?? 'weft-store' });
  // Upgrade a store of an earlier version first; refuse to start on a bad one: the error names the field (ManifestError).
  await ensureMigrated(store);
  if (!options.store) await seedDemo(store, nodeEncoders);
  const hostname = options.host ?? '127.0.0.1';
  const weft = await nodeWeft({
    store,
    hostname,
    ...(options.publishToken ? { publishToken: options.publishToken } : {}),
  });
  const server = createServer({ maxHeaderSize: MAX_HEAD_BYTES }, weft.listener);
  server.on('clientError', answerClientError);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, hostname, () => {
      const info = server.address() as AddressInfo;
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: async () => {
          await new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          await weft.close();
        },
      });
    });
  });
}
