/**
 * The Node entry's answer cache for `/resolve`: a repeated request gets the app's own answer (same
 * status, headers and bytes, marked `Weft-Cache: hit`), counted in the statistics; a publish is
 * seen at once; another Host, a header profile or a conditional request goes to the app.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { publish } from '../src/registry/publish.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { DEMO, TOKEN } from './harness/trust.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A raw GET (node:http, so the Host header is ours to set). */
function get(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string>; body: string }>((resolve, reject) => {
    const req = request(`${server!.url}${path}`, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers as Record<string, string>, body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const PATH = '/v1/modules/demo/resolve?caps=shared-memory,threads,workers';
const without = (h: Record<string, string>, ...names: string[]) =>
  Object.fromEntries(
    Object.entries(h).filter(([k]) => !['date', 'connection', 'keep-alive', ...names].includes(k)),
  );

describe('the answer cache of the Node entry', () => {
  it("answers a repeated /resolve with the app's own answer, counts it, and sees a publish at once", async () => {
    const store = memoryStore();
    await publish(store, { module: 'demo', variant: 'single', bytes: DEMO.single });
    await publish(store, { module: 'demo', variant: 'sab', bytes: DEMO.sab });
    server = await startServer({ store, port: 0, publishToken: TOKEN });
    const first = await get(PATH); // reads the record
    const once = await get(PATH); // the app again: the request is remembered as asked for
    const second = await get(PATH); // the app again, and now its answer is kept
    const third = await get(PATH); // from the cache
    expect(first.headers['weft-cache']).toBeUndefined();
    expect(once.headers['weft-cache']).toBeUndefined();
    expect(second.headers['weft-cache']).toBeUndefined();
    expect(third.headers['weft-cache']).toBe('hit');
    expect(third.status).toBe(200);
    expect(third.body).toBe(second.body);
    expect(without(third.headers, 'weft-cache')).toEqual(without(second.headers));
    expect(JSON.parse(third.body).variant).toBe('sab');
    const stats = JSON.parse((await get('/v1/stats')).body);
    expect(stats.served['demo/sab']).toBe(4);

    // A publish changes the record: the next answer is the app's, with the new variant.
    const res = await fetch(`${server.url}/v1/modules/demo/variants/set`, {
      method: 'PUT',
      body: DEMO.set as Uint8Array<ArrayBuffer>,
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(201);
    const after = await get('/v1/modules/demo?x=1');
    expect(JSON.parse(after.body).variants.map((v: { name: string }) => v.name)).toContain('set');
    const fresh = await get(PATH);
    expect(fresh.headers['weft-cache']).toBeUndefined();
    // Each unversioned publish made a version: 0.0.0, 0.0.0+1, and now 0.0.0+2.
    expect(JSON.parse(second.body).version).toBe('0.0.0+1');
    expect(JSON.parse(fresh.body).version).toBe('0.0.0+2');
  });

  it('keys answers by Host (their URLs are absolute) and leaves header profiles and conditional requests to the app', async () => {
    const store = memoryStore();
    await publish(store, { module: 'demo', variant: 'single', bytes: DEMO.single });
    server = await startServer({ store, port: 0 });
    for (let i = 0; i < 4; i++) await get(PATH);
    const other = await get(PATH, { Host: 'weft.example:8080' });
    expect(other.headers['weft-cache']).toBeUndefined();
    expect(JSON.parse(other.body).url).toMatch(/^http:\/\/weft\.example:8080\/v1\/blobs\//);
    expect((await get(PATH, { 'Wasm-Caps': 'simd' })).headers['weft-cache']).toBeUndefined();
    const etag = (await get(PATH)).headers.etag;
    const conditional = await get(PATH, { 'If-None-Match': etag ?? '"x"' });
    expect(conditional.headers['weft-cache']).toBeUndefined();
    expect((await get(PATH)).headers['weft-cache']).toBe('hit');
  });
});
