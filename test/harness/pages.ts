import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Page {
  body: string | Uint8Array;
  type: string;
}

export interface PageServer {
  /** `http://127.0.0.1:<port>`: a secure context, so isolation needs no TLS. */
  origin: string;
  close(): Promise<void>;
}

/** The headers that make a page cross-origin isolated (COOP same-origin + COEP require-corp). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Serves fixed pages on 127.0.0.1. Paths under `/isolated/` get COOP/COEP (and CORP, so
 * isolated pages can load them); paths under `/plain/` get neither. The same page is served under both.
 */
export function startPageServer(pages: Record<string, Page>): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/(isolated|plain)(\/.*)$/.exec(url.pathname);
    const page = match ? pages[match[2]!] : undefined;
    if (!match || !page) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const isolation = match[1] === 'isolated' ? ISOLATION_HEADERS : {};
    res
      .writeHead(200, {
        'content-type': page.type,
        'cross-origin-resource-policy': 'same-origin',
        'cache-control': 'no-store',
        ...isolation,
      })
      .end(page.body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
