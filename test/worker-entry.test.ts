/**
 * `weft/worker`'s binding names are the caller's: `createWorker({ bucket, token, assets })` reads
 * the R2 bucket, the publish token and the client scripts from the env under those names (run on
 * Node here with stand-in bindings; test/workers runs the default names inside workerd).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createWorker } from '../src/worker/index.js';

const DIST_BROWSER = new URL('../dist/browser/', import.meta.url);

/** A static-assets binding answering from dist/browser (build first), as wrangler's [assets] does. */
const assetsBinding = {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname.slice(1);
    return readFile(new URL(path, DIST_BROWSER)).then(
      (body) => new Response(body),
      () => new Response('not found', { status: 404 }),
    );
  },
};

// The app never reads the bucket for these routes: any object stands in for it.
const bucket = memoryStore() as unknown;

describe('createWorker with its own binding names', () => {
  const worker = createWorker({ bucket: 'MY_BUCKET', token: 'MY_TOKEN', assets: 'MY_ASSETS' });
  const env = { MY_BUCKET: bucket, MY_ASSETS: assetsBinding };

  it('answers /healthz from the bucket bound as MY_BUCKET', async () => {
    const res = await worker.fetch(new Request('https://w.example/healthz'), env);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('serves /v1/sdk.js through the assets binding named MY_ASSETS', async () => {
    const res = await worker.fetch(new Request('https://w.example/v1/sdk.js'), env);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers 503 naming the binding when no bucket is bound under it', async () => {
    const res = await worker.fetch(new Request('https://w.example/healthz'), { WEFT_BUCKET: bucket });
    expect(res.status).toBe(503);
    expect((await res.json()) as unknown).toEqual({
      error: { code: 'unavailable', message: 'no R2 bucket bound as MY_BUCKET' },
    });
  });

  it('enables publishing with the token read from MY_TOKEN, and only with it', async () => {
    const put = (w: typeof worker, e: Record<string, unknown>) =>
      w.fetch(
        new Request('https://w.example/v1/modules/m/variants/v', {
          method: 'PUT',
          headers: { Authorization: 'Bearer wrong-token-0123456789' },
          body: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]),
        }),
        e,
      );
    // The app is made once per bucket binding, so each case gets a worker of its own. With a token
    // configured a wrong one is refused as unauthorised (401); without one publishing is off (403).
    const names = { bucket: 'MY_BUCKET', token: 'MY_TOKEN', assets: 'MY_ASSETS' };
    const withToken = await put(createWorker(names), { ...env, MY_TOKEN: 'right-token-0123456789' });
    const tokenElsewhere = await put(createWorker(names), {
      ...env,
      WEFT_PUBLISH_TOKEN: 'right-token-0123456789',
    });
    expect(withToken.status).toBe(401);
    expect(tokenElsewhere.status).toBe(403);
  });
});
