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
import { publish } from '../src/registry/publish.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';
import { httpClient } from './harness/clients.js';
import { DEMO } from './harness/fixtures.js';
import { TOKEN } from './harness/trust.js';

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

    // Their functions run at a page's first load() or probe(): compiled with the script, not one by one.
    it.each(SCRIPTS.slice(0, 3))(
      "serves /wasm/v1/%s with V8's compile hint on its first line",
      async (script) => {
        const text = await (await (await mount())(`/wasm/v1/${script}`)).text();
        expect(text.split('\n', 1)[0]).toBe('//# allFunctionsCalledOnLoad');
      },
    );

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

/** weftHandler under /wasm on a fresh Node server over `store`: its origin. */
async function handlerServer(store = memoryStore()) {
  const weft = weftHandler({ mount: '/wasm', store, publishToken: TOKEN });
  server = createServer((req, res) => weft(req, res));
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return { weft, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('weftHandler is assembled like weft serve (src/node/assemble.ts)', () => {
  it("answers a request the Node adapter refuses (a backslash in the path) with the API's JSON 400", async () => {
    const { origin } = await handlerServer();
    const raw = httpClient(origin);
    const answer = await raw({ path: '/wasm/v1\\modules' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(new TextDecoder().decode(answer.body))).toEqual({
      error: { code: 'bad_request', message: 'malformed request' },
    });
  });

  it('keeps a repeated /resolve under the mount in the answer cache, and sees a publish at once', async () => {
    const store = memoryStore();
    await publish(store, { module: 'demo', variant: 'single', bytes: DEMO.single });
    const { origin } = await handlerServer(store);
    const path = `${origin}/wasm/v1/modules/demo/resolve?caps=shared-memory,threads,workers`;
    const cached = [];
    for (let i = 0; i < 4; i++) cached.push((await fetch(path)).headers.get('weft-cache'));
    expect(cached).toEqual([null, null, null, 'hit']);
    const put = await fetch(`${origin}/wasm/v1/modules/demo/variants/sab`, {
      method: 'PUT',
      body: DEMO.sab as Uint8Array<ArrayBuffer>,
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(put.status).toBe(201);
    const after = await fetch(path);
    expect(after.headers.get('weft-cache')).toBeNull();
    expect((await after.json()).variant).toBe('sab');
  });
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
