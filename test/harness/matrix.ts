import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe } from 'vitest';

/** Sends a request to the app under test; `path` is absolute, e.g. `/healthz`. */
export type Client = (path: string, init?: RequestInit) => Promise<Response>;

/**
 * Runs the same HTTP tests twice: through `app.fetch` (no network) and through a real Node HTTP
 * server on loopback. The body gets a getter, valid inside tests, for the current client.
 */
export function describeMatrix(
  title: string,
  makeApp: () => Hono | Promise<Hono>,
  body: (client: () => Client) => void,
): void {
  describe(`${title} [app.fetch]`, () => {
    let app: Hono;
    beforeAll(async () => {
      app = await makeApp();
    });
    body(() => (path, init) => Promise.resolve(app.request(path, init)));
  });

  describe(`${title} [node server]`, () => {
    let origin = '';
    let close: () => Promise<void> = async () => {};
    beforeAll(async () => {
      const app = await makeApp();
      await new Promise<void>((resolve) => {
        const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
          origin = `http://127.0.0.1:${info.port}`;
          close = () => new Promise((done) => server.close(() => done()));
          resolve();
        });
      });
    });
    afterAll(() => close());
    body(() => (path, init) => fetch(origin + path, init));
  });
}
