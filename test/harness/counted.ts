/**
 * A weft server that writes down every request it answers, mounted at `/wasm` on its own origin:
 * what a loader asked for is counted where it arrives, whoever made it (a page, its workers, a
 * Node process). `kind` sorts a request into what the tests compare.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seedDemo } from '../../src/node/demo.js';
import { nodeEncoders } from '../../src/node/encoders.js';
import { weftHandler } from '../../src/node/handler.js';
import { fsStore } from '../../src/registry/stores/fs.js';

export interface CountedServer {
  /** The server's URL with its mount (`http://127.0.0.1:<port>/wasm`), as `server` options take it. */
  url: string;
  /** Every request answered since the last `take()`, as `METHOD /path?query`. */
  take(): string[];
  close(): Promise<void>;
}

/** What a request was for: a CORS preflight, a negotiation (the module's manifest, /wasm, /resolve), a blob, a bundle file, a script. */
export function kind(request: string): 'preflight' | 'negotiation' | 'blob' | 'bundle' | 'script' | 'other' {
  const [method, path = ''] = request.split(' ');
  if (method === 'OPTIONS') return 'preflight';
  if (/\/v1\/modules\//.test(path)) return 'negotiation';
  if (/\/v1\/blobs\//.test(path)) return 'blob';
  if (/\/v1\/bundles\//.test(path)) return 'bundle';
  if (/\/v1\/[^/]+\.js|\/v1\/chunks\//.test(path)) return 'script';
  return 'other';
}

/** Counts of each kind, for a report and for assertions that read like one. */
export function kinds(requests: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) out[kind(r)] = (out[kind(r)] ?? 0) + 1;
  return out;
}

/** Serves `storeDir` (the bundled demo published into it first, unless `demo: false`). */
export async function countedServer(storeDir: string, { demo = true } = {}): Promise<CountedServer> {
  if (demo) await seedDemo(fsStore({ dir: storeDir }), nodeEncoders);
  const handler = weftHandler({ mount: '/wasm', store: fsStore({ dir: storeDir }) });
  let seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/wasm`,
    take: () => {
      const out = seen;
      seen = [];
      return out;
    },
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
