/**
 * A mounted weft is whole: under `/wasm` (a Hono `site.route`, or `weftHandler({ mount })` on a
 * Node server) it serves its client scripts with no option given (read from dist/browser: build
 * first), its diagnostics page cross-origin isolated, and that page reaches its own API under the mount.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { weftHandler } from '../src/node/handler.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';

const SCRIPTS = ['sdk.js', 'probe.js', 'emscripten.js', 'polyfills.js?need=wait-queue'];

/** What a client sees of weft under /wasm, however it was mounted. */
function mountedSuite(name: string, mount: () => Promise<(path: string) => Promise<Response>>) {
  describe(name, () => {
    it.each(SCRIPTS)('serves /wasm/v1/%s as JavaScript', async (script) => {
      const res = await (await mount())(`/wasm/v1/${script}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await res.text()).toMatch(/export/);
    });

    it('serves the page at /wasm with COOP/COEP, and without them for ?isolation=off', async () => {
      const get = await mount();
      const page = await get('/wasm');
      expect(page.status).toBe(200);
      expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      const off = await get('/wasm?isolation=off');
      expect(off.status).toBe(200);
      expect(off.headers.get('cross-origin-opener-policy')).toBeNull();
    });

    it("points the page's scripts and requests under the mount", async () => {
      const html = await (await (await mount())('/wasm')).text();
      expect(html).toContain(`from '/wasm/v1/probe.js'`);
      expect(html).toContain(`fetch('/wasm/v1/modules')`);
      expect(html).not.toMatch(/['"`]\/v1\//);
    });

    it('isolates the page only: its API answers carry no COOP', async () => {
      const res = await (await mount())('/wasm/healthz');
      expect(await res.json()).toEqual({ status: 'ok' });
      expect(res.headers.get('cross-origin-opener-policy')).toBeNull();
    });
  });
}

mountedSuite('createApp mounted with site.route("/wasm", ...)', async () => {
  const site = new Hono().route('/wasm', createApp({ store: memoryStore() }));
  return async (path) => site.request(path);
});

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await new Promise((done) => s.close(done));
});

mountedSuite('weftHandler({ mount: "/wasm" }) on a Node server', async () => {
  const weft = weftHandler({ mount: '/wasm', store: memoryStore() });
  server = createServer((req, res) => weft(req, res));
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return (path) => fetch(`http://127.0.0.1:${port}${path}`);
});

describe('createApp at the root', () => {
  it('still isolates / and its page keeps root-relative URLs', async () => {
    const res = await createApp({ store: memoryStore() }).request('/');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await res.text()).toContain(`from '/v1/probe.js'`);
  });

  it('serves no scripts when given assets: {} (the default is opted out of)', async () => {
    const res = await createApp({ store: memoryStore(), assets: {} }).request('/v1/sdk.js');
    expect(res.status).toBe(404);
  });

  it('never writes a request path into the page: a parameterised mount keeps root-relative URLs', async () => {
    const site = new Hono().route('/:tenant', createApp({ store: memoryStore() }));
    const html = await (await site.request('/%27%3Balert(1)%2F%2F')).text();
    expect(html).not.toContain('alert(1)');
    expect(html).toContain(`from '/v1/probe.js'`);
  });
});
