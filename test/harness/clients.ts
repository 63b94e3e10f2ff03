import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe } from 'vitest';

// --- answers and clients ------------------------------------------------------------------------

/** A response as sent: status, headers, and the body bytes undecoded. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export interface Req {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

export type RawClient = (req: Req) => Promise<Answer>;

export async function answerOf(res: Response): Promise<Answer> {
  return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
}

/** Through `app.fetch`: the path goes through the URL parser (`..` resolved, `\` turned to `/`). */
export function appClient(app: Hono): RawClient {
  return async ({ method = 'GET', path, headers, body }) =>
    answerOf(
      await app.request(path, {
        method,
        ...(headers ? { headers } : {}),
        ...(body ? { body: body as Uint8Array<ArrayBuffer> } : {}),
      }),
    );
}

/** Over loopback with node:http: the path is sent as given, the body received as sent. */
export function httpClient(origin: string): RawClient {
  const url = new URL(origin);
  return ({ method = 'GET', path, headers = {}, body }) =>
    new Promise((done, fail) => {
      // Always framed: Node would send a DELETE or OPTIONS body unframed, a malformed request.
      const framing = body ? { 'Content-Length': String(body.length) } : {};
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers: { ...headers, ...framing },
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers))
              if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
            done({ status: res.statusCode ?? 0, headers: h, body: new Uint8Array(Buffer.concat(chunks)) });
          });
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(body ? Buffer.from(body) : undefined);
    });
}

/** Serves an app on a Node server on 127.0.0.1, port 0. */
export async function listen(app: Hono): Promise<{ origin: string; close: () => Promise<void> }> {
  return new Promise((done) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      done({
        origin: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise((closed) => {
            server.close(() => closed());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
  });
}

/** Sends a request to the app under test and gets fetch's Response; `path` is absolute, e.g. `/healthz`. */
export type Client = (path: string, init?: RequestInit) => Promise<Response>;

/**
 * The one app-twice harness: runs the body once through `app.fetch` (no network) and once through
 * a real Node server on loopback. The body gets getters, valid inside tests, for a raw client (the
 * bytes exactly as sent) and a fetch client. `makeApp` runs once per mode.
 */
export function describeBoth(
  title: string,
  makeApp: () => Hono | Promise<Hono>,
  body: (client: () => RawClient, mode: 'app.fetch' | 'node server', fetchClient: () => Client) => void,
): void {
  describe(`${title} [app.fetch]`, () => {
    let app: Hono;
    let client: RawClient;
    beforeAll(async () => {
      app = await makeApp();
      client = appClient(app);
    });
    body(
      () => client,
      'app.fetch',
      () => (path, init) => Promise.resolve(app.request(path, init)),
    );
  });
  describe(`${title} [node server]`, () => {
    let client: RawClient;
    let origin = '';
    let close = async () => {};
    beforeAll(async () => {
      const server = await listen(await makeApp());
      origin = server.origin;
      client = httpClient(origin);
      close = server.close;
    });
    afterAll(() => close());
    body(
      () => client,
      'node server',
      () => (path, init) => fetch(origin + path, init),
    );
  });
}

/** describeBoth for suites written against fetch's Response (the HTTP contract suite). */
export function describeMatrix(
  title: string,
  makeApp: () => Hono | Promise<Hono>,
  body: (client: () => Client) => void,
): void {
  describeBoth(title, makeApp, (_raw, _mode, fetchClient) => body(fetchClient));
}

/** The body as the client meant it: undone Content-Encoding (br, gzip). */
export function decoded(answer: Answer): Uint8Array {
  const encoding = answer.headers.get('content-encoding');
  if (encoding === 'br') return new Uint8Array(brotliDecompressSync(answer.body));
  if (encoding === 'gzip') return new Uint8Array(gunzipSync(answer.body));
  return answer.body;
}
