/**
 * The HTTP contract suite (contract.md, HTTP API v1): runs through `app.fetch`, through a real Node
 * server, and inside workerd against R2. Imports nothing Node-specific.
 *
 * The app under test is shared by every test of a run (the Workers pool isolates storage per file,
 * not per test), so each test publishes what it reads under a module name of its own and reads
 * nothing else: no test sees what another published, and each passes alone, in any order.
 */
import { expect, it } from 'vitest';
import { uploadCases } from './upload.js';
import { versionCases } from './versions.js';

export type Client = (path: string, init?: RequestInit) => Promise<Response>;

export interface SuiteContext {
  client: () => Client;
  /** The demo variants' bytes, by variant name. */
  demo: Record<'set' | 'sab' | 'wasi-threads' | 'single', Uint8Array>;
  token: string;
  /** Whether the app under test sends its publish-time compressed copies (false on Workers). */
  precompressed: boolean;
  /** Debian emcc's pthreads build (app.js, app.wasm, app.worker.js), for the upload protocol; absent without emcc. */
  build?: Record<string, Uint8Array> | undefined;
}

const hex = async (bytes: ArrayBuffer | Uint8Array) =>
  Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

const SAB_CAPS = 'shared-memory,threads,workers';

export function httpSuite(ctx: SuiteContext): void {
  const get = (path: string, init?: RequestInit) => ctx.client()(path, init);

  /**
   * Publishes the four demo variants as `module`, least preferred first, the last as version 1.0.0
   * (each PUT makes a version: 0.0.0, 0.0.0+1, 0.0.0+2, then 1.0.0); returns its name.
   */
  const publishDemo = async (module: string): Promise<string> => {
    for (const name of ['single', 'wasi-threads', 'sab', 'set'] as const) {
      const res = await get(
        `/v1/modules/${module}/variants/${name}${name === 'set' ? '?version=1.0.0' : ''}`,
        {
          method: 'PUT',
          body: ctx.demo[name] as Uint8Array<ArrayBuffer>,
          headers: { Authorization: `Bearer ${ctx.token}` },
        },
      );
      expect(res.status).toBe(201);
    }
    return module;
  };

  it.each(['sdk.js', 'probe.js', 'emscripten.js', 'polyfills.js?need=thread-local-global'])(
    'serves the built client script /v1/%s as JavaScript any origin may import',
    async (script) => {
      const res = await get(`/v1/${script}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect((await res.text()).length).toBeGreaterThan(500);
    },
  );

  it('serves the diagnostics page, cross-origin isolated, importing the probe it serves', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await res.text()).toContain('/v1/probe.js');
  });

  it('publishes the four demo variants with the token (PUT), in preference order', async () => {
    const demo = await publishDemo('publish-order');
    const list = (await (await get('/v1/modules')).json()) as {
      modules: { name: string; variants: string[] }[];
    };
    expect(list.modules).toContainEqual({
      name: demo,
      version: '1.0.0',
      variants: ['set', 'sab', 'wasi-threads', 'single'],
    });
  });

  it('serves the sab bytes to a profile with threads, with the contract headers', async () => {
    const demo = await publishDemo('serve-sab');
    const res = await get(`/v1/modules/${demo}/wasm?caps=${SAB_CAPS}`);
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(await hex(body)).toBe(await hex(ctx.demo.sab));
    expect(res.headers.get('content-type')).toBe('application/wasm');
    expect(res.headers.get('wasm-variant')).toBe('sab');
    expect(res.headers.get('etag')).toBe(`"sha256-${await hex(ctx.demo.sab)}"`);
    expect(res.headers.get('content-digest')).toMatch(/^sha-256=:[A-Za-z0-9+/]+=*:$/);
    expect(res.headers.get('link')).toMatch(/^<\/v1\/blobs\/sha256-[0-9a-f]{64}\.wasm>/);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60, must-revalidate');
    expect(res.headers.get('weft-profile-source')).toBe('query');
  });

  it('serves the single variant to an empty caps= profile', async () => {
    const demo = await publishDemo('serve-single');
    const res = await get(`/v1/modules/${demo}/wasm?caps=`);
    expect(res.headers.get('wasm-variant')).toBe('single');
    expect(await hex(await res.arrayBuffer())).toBe(await hex(ctx.demo.single));
  });

  it('resolve explains both choices: what was chosen and what each rejected variant lacked', async () => {
    const demo = await publishDemo('resolve-explains');
    const sab = (await (await get(`/v1/modules/${demo}/resolve?caps=${SAB_CAPS}`)).json()) as Record<
      string,
      unknown
    >;
    expect(sab).toMatchObject({
      module: demo,
      variant: 'sab',
      model: 'sab',
      size: ctx.demo.sab.length,
      rejected: [
        { variant: 'set', missing: expect.arrayContaining(['set-types', 'set-gc-atomics', 'set-threads']) },
      ],
      profile: { source: 'query', model: 'sab' },
    });
    expect(sab.integrity).toMatch(/^sha256-[A-Za-z0-9+/]+=*$/);
    const single = (await (await get(`/v1/modules/${demo}/resolve?caps=`)).json()) as {
      variant: string;
      rejected: unknown[];
    };
    expect(single.variant).toBe('single');
    expect(single.rejected).toEqual([
      { variant: 'set', missing: expect.arrayContaining(['set-types', 'set-gc-atomics', 'set-threads']) },
      { variant: 'sab', missing: ['shared-memory', 'threads'] },
      { variant: 'wasi-threads', missing: ['shared-memory', 'wasi-threads'] },
    ]);
  });

  it('reads the profile from the Wasm-Caps header (token or list) and then varies on it', async () => {
    const demo = await publishDemo('caps-header');
    const res = await get(`/v1/modules/${demo}/resolve`, { headers: { 'Wasm-Caps': SAB_CAPS } });
    expect(res.headers.get('vary')).toContain('Wasm-Caps');
    expect(res.headers.get('weft-profile-source')).toBe('header');
    expect(((await res.json()) as { variant: string }).variant).toBe('sab');
  });

  it('never grants threads from a User-Agent alone, and says it guessed', async () => {
    const ua =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
    const demo = await publishDemo('user-agent');
    const res = await get(`/v1/modules/${demo}/resolve`, { headers: { 'User-Agent': ua } });
    const body = (await res.json()) as { variant: string; profile: { caps: string[]; source: string } };
    expect(body.variant).toBe('single');
    expect(body.profile.source).toBe('user-agent');
    expect(body.profile.caps).toContain('simd');
    expect(body.profile.caps.filter((c) => /thread|^set-|shared-memory/.test(c))).toEqual([]);
  });

  it('answers one profile written in any order with the same ETag and the same canonical profile', async () => {
    const demo = await publishDemo('profile-order');
    const a = await get(`/v1/modules/${demo}/resolve?caps=workers,threads,shared-memory,threads`);
    const b = await get(`/v1/modules/${demo}/resolve?caps=${SAB_CAPS}`);
    const ja = (await a.json()) as { profile: { canonical: string } };
    const jb = (await b.json()) as { profile: { canonical: string } };
    expect(ja.profile.canonical).toBe(jb.profile.canonical);
    const wa = await get(`/v1/modules/${demo}/wasm?caps=workers,threads,shared-memory`);
    expect(wa.headers.get('etag')).toBe(
      (await get(`/v1/modules/${demo}/wasm?caps=${SAB_CAPS}`)).headers.get('etag'),
    );
  });

  it('serves blobs immutable, with 304 on If-None-Match, HEAD, and Range', async () => {
    const demo = await publishDemo('blob-caching');
    const resolved = (await (await get(`/v1/modules/${demo}/resolve?caps=`)).json()) as { url: string };
    const path = new URL(resolved.url).pathname;
    const full = await get(path);
    expect(full.status).toBe(200);
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = full.headers.get('etag')!;
    expect((await get(path, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    const head = await get(path, { method: 'HEAD', headers: { 'Accept-Encoding': 'identity' } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(ctx.demo.single.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const part = await get(path, { headers: { Range: 'bytes=0-7' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-7/${ctx.demo.single.length}`);
    expect([...new Uint8Array(await part.arrayBuffer())]).toEqual([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  });

  it('sends the copy compressed at publish time when the client accepts it (where the runtime lets it), the same bytes decoded', async () => {
    const demo = await publishDemo('precompressed');
    const res = await get(`/v1/modules/${demo}/wasm?caps=${SAB_CAPS}`, {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    if (ctx.precompressed) {
      expect(res.headers.get('vary')).toContain('Accept-Encoding');
      expect(res.headers.get('content-encoding')).toBe('gzip');
    }
    // fetch() decodes for us; app.fetch hands back the body as sent (gzip magic 1f 8b, not \0asm).
    const raw = new Uint8Array(await res.arrayBuffer());
    const body =
      raw[0] === 0x1f && raw[1] === 0x8b
        ? await new Response(
            new Blob([raw]).stream().pipeThrough(new DecompressionStream('gzip')),
          ).arrayBuffer()
        : raw;
    expect(await hex(body)).toBe(await hex(ctx.demo.sab));
  });

  it('answers 406 with every rejection when no variant fits and the module marks no fallback', async () => {
    const put = await get('/v1/modules/threaded/variants/sab', {
      method: 'PUT',
      body: ctx.demo.sab as Uint8Array<ArrayBuffer>,
      headers: { Authorization: `Bearer ${ctx.token}` },
    });
    expect(put.status).toBe(201);
    const res = await get('/v1/modules/threaded/wasm?caps=simd');
    expect(res.status).toBe(406);
    const body = (await res.json()) as { error: { code: string; rejected: unknown[] } };
    expect(body.error.code).toBe('not_acceptable');
    expect(body.error.rejected).toEqual([{ variant: 'sab', missing: ['shared-memory', 'threads'] }]);
  });

  it('serves a build published with hosts=browser,worker to a browser profile only, and says why Node got the other', async () => {
    for (const [name, query] of [
      ['single', ''],
      ['sab', '?hosts=browser,worker'],
    ] as const) {
      const put = await get(`/v1/modules/browser-only/variants/${name}${query}`, {
        method: 'PUT',
        body: ctx.demo[name] as Uint8Array<ArrayBuffer>,
        headers: { Authorization: `Bearer ${ctx.token}` },
      });
      expect(put.status).toBe(201);
    }
    const resolve = async (host: string) =>
      (await (await get(`/v1/modules/browser-only/resolve?caps=${SAB_CAPS}&host=${host}`)).json()) as {
        variant: string;
        rejected: unknown[];
      };
    expect(await resolve('browser')).toMatchObject({ variant: 'sab', rejected: [] });
    expect(await resolve('node')).toMatchObject({
      variant: 'single',
      rejected: [{ variant: 'sab', missing: [], hosts: ['browser', 'worker'] }],
    });
    const bad = await get('/v1/modules/browser-only/variants/sab?hosts=browser,nodejs', {
      method: 'PUT',
      body: ctx.demo.sab as Uint8Array<ArrayBuffer>,
      headers: { Authorization: `Bearer ${ctx.token}` },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { code: 'bad_declaration', message: expect.stringMatching(/^hosts: nodejs is not a host/) },
    });
  });

  it('refuses PUT without the token (401) and with a wrong one, and publishes nothing', async () => {
    const demo = await publishDemo('unauthorized');
    const put = (auth?: string) =>
      get(`/v1/modules/${demo}/variants/extra`, {
        method: 'PUT',
        body: ctx.demo.single as Uint8Array<ArrayBuffer>,
        headers: auth ? { Authorization: auth } : {},
      });
    expect((await put()).status).toBe(401);
    expect((await put(`Bearer ${ctx.token}x`)).status).toBe(401);
    const list = (await (await get(`/v1/modules/${demo}`)).json()) as { variants: { name: string }[] };
    expect(list.variants.map((v) => v.name)).toEqual(['set', 'sab', 'wasi-threads', 'single']);
  });

  it('publishes a new variant with the token that the next resolve can choose', async () => {
    const demo = await publishDemo('new-variant');
    const res = await get(`/v1/modules/${demo}/variants/sab-v2`, {
      method: 'PUT',
      body: ctx.demo.sab as Uint8Array<ArrayBuffer>,
      headers: { Authorization: `Bearer ${ctx.token}` },
    });
    expect(res.status).toBe(201);
    const list = (await (await get(`/v1/modules/${demo}`)).json()) as { variants: { name: string }[] };
    expect(list.variants.map((v) => v.name)).toEqual(['set', 'sab-v2', 'sab', 'wasi-threads', 'single']);
    const resolved = (await (await get(`/v1/modules/${demo}/resolve?caps=${SAB_CAPS}`)).json()) as {
      variant: string;
    };
    expect(resolved.variant).toBe('sab-v2');
  });

  // The module a path names exists (each case publishes its own), so the status is the input's doing.
  it.each([
    [
      'a malformed capability list',
      'bad-caps',
      (m: string) => `/v1/modules/${m}/wasm?caps=%3Cscript%3E`,
      400,
    ],
    ['a malformed token', 'bad-token', (m: string) => `/v1/modules/${m}/wasm?profile=9zz`, 400],
    ['a bad module name', 'bad-name', () => '/v1/modules/..%2F..%2Fetc/resolve', 400],
    ['an unknown module', 'unknown-module', () => '/v1/modules/nope/resolve', 404],
    ['a hostile blob name', 'bad-blob-name', () => '/v1/blobs/..%2Fmanifest.json', 400],
    ['an unknown blob', 'unknown-blob', () => `/v1/blobs/sha256-${'0'.repeat(64)}.wasm`, 404],
    ['a very long URL', 'long-url', (m: string) => `/v1/modules/${m}/wasm?caps=${'a'.repeat(5000)}`, 414],
  ] as const)(
    'answers %s with a JSON error, never a 500 and never echoing input',
    async (_what, module, path, status) => {
      const res = await get(path(await publishDemo(module)));
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({
        error: { code: expect.any(String), message: expect.any(String) },
      });
      expect(text).not.toMatch(/script|etc|manifest\.json|zz|aaaa/);
    },
  );

  it('answers 405 to methods a route does not take, and 400 to a PUT body that is not wasm', async () => {
    expect((await get('/v1/modules/method-check/resolve', { method: 'POST' })).status).toBe(405);
    const res = await get('/v1/modules/junk-body/variants/junk', {
      method: 'PUT',
      body: new TextEncoder().encode('<html>not wasm</html>'),
      headers: { Authorization: `Bearer ${ctx.token}` },
    });
    expect(res.status).toBe(400);
  });

  it('serves / with COOP/COEP so a loader page there is cross-origin isolated', async () => {
    const res = await get('/');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('counts what resolve and wasm answered, by thread model and capability, and says what the counts cover', async () => {
    const demo = await publishDemo('stats');
    const before = (await (await get('/v1/stats')).json()) as {
      requests: number;
      models: Record<string, number>;
    };
    await get(`/v1/modules/${demo}/resolve?caps=${SAB_CAPS}`);
    const after = (await (await get('/v1/stats')).json()) as {
      requests: number;
      models: Record<string, number>;
      capabilities: Record<string, number>;
      served: Record<string, number>;
      scope: string;
    };
    expect(after.requests).toBe(before.requests + 1);
    expect(after.models.sab).toBe((before.models.sab ?? 0) + 1);
    expect(after.capabilities.threads).toBeGreaterThan(0);
    expect(Object.keys(after.served)).toContain(`${demo}/sab`);
    expect(after.scope).toMatch(/since it started/);
  });

  versionCases({ get, token: ctx.token, demo: ctx.demo, hex });
  uploadCases(() => ({ get, token: ctx.token, build: ctx.build }));
}
