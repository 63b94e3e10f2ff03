/**
 * The upload protocol (a whole build over HTTP) in the HTTP suite: through `app.fetch`, through a
 * real Node server, and inside workerd against R2. The build is Debian emcc's pthreads build of
 * fixtures/c/primes.c (app.js, app.wasm, app.worker.js), handed over by each runner.
 */
import { expect, it } from 'vitest';
import type { Client } from './http.js';

export interface UploadContext {
  get: Client;
  token: string;
  /** The emcc pthreads build's files by path; absent when emcc is not installed. */
  build: Record<string, Uint8Array> | undefined;
}

const hashOf = async (bytes: Uint8Array) =>
  `sha256-${Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)), (b) => b.toString(16).padStart(2, '0')).join('')}`;

const ROLES: Record<string, string> = { 'app.wasm': 'wasm', 'app.js': 'glue', 'app.worker.js': 'worker' };

export function uploadCases(u: () => UploadContext): void {
  const needBuild = (skip: (note: string) => void) => {
    const { build } = u();
    if (build) return build;
    const why =
      'the upload cases need the Debian emcc build: run `apt-get install -y --no-install-recommends emscripten node-acorn`';
    if ((globalThis as { process?: { env?: Record<string, string> } }).process?.env?.CI) throw new Error(why);
    skip(why);
    throw new Error('unreachable');
  };

  it('publishes a whole emcc build over the upload protocol: asks, uploads only what is missing, commits once, serves its bundle', async ({
    skip,
  }) => {
    const { get, token } = u();
    const build = needBuild(skip);
    const auth = { Authorization: `Bearer ${token}` };
    // A glue of this test's own (a trailing comment), so what is missing does not depend on other tests.
    const files = {
      ...build,
      'app.js': new TextEncoder().encode(
        `${new TextDecoder().decode(build['app.js'])}\n// upload-whole ${Date.now()}\n`,
      ),
    };
    const listed = await Promise.all(
      Object.entries(files).map(async ([path, bytes]) => ({
        path,
        role: ROLES[path],
        hash: await hashOf(bytes),
        size: bytes.length,
        bytes,
      })),
    );
    const ask = async () => {
      const res = await get('/v1/uploads/missing', {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ files: listed.map(({ hash, size }) => ({ hash, size })) }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { missing: string[] }).missing;
    };
    const glue = listed.find((f) => f.path === 'app.js')!;
    expect(await ask()).toContain(glue.hash);
    for (const hash of await ask()) {
      const f = listed.find((l) => l.hash === hash)!;
      const res = await get(`/v1/files/${hash}`, {
        method: 'PUT',
        headers: auth,
        body: f.bytes as Uint8Array<ArrayBuffer>,
      });
      expect(res.status).toBe(201);
    }
    expect(await ask()).toEqual([]);
    // Sent again (a retry): a no-op.
    const again = await get(`/v1/files/${glue.hash}`, {
      method: 'PUT',
      headers: auth,
      body: glue.bytes as Uint8Array<ArrayBuffer>,
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ stored: false });

    const res = await get('/v1/modules/upload-whole/commit', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        version: '1.0.0',
        variants: [
          {
            name: 'pthreads',
            files: listed.map(({ path, role, hash, size }) => ({ path, role, hash, size })),
          },
        ],
      }),
    });
    expect(res.status).toBe(201);
    const answer = (await res.json()) as { published: { variant: { model: string; requires: string[] } }[] };
    expect(answer.published[0]!.variant).toMatchObject({
      model: 'sab',
      requires: expect.arrayContaining(['threads', 'workers']),
    });
    const resolved = (await (
      await get('/v1/modules/upload-whole/resolve?caps=shared-memory,threads,workers,bulk-memory&host=node')
    ).json()) as {
      variant: string;
      bundle: { base: string; entry: string; files: { path: string }[] };
    };
    expect(resolved, JSON.stringify(resolved)).toMatchObject({ variant: 'pthreads' });
    expect(resolved.bundle.entry).toBe('app.js');
    expect(resolved.bundle.files.map((f) => f.path).sort()).toEqual(['app.js', 'app.wasm', 'app.worker.js']);
    for (const f of listed) {
      const served = await get(new URL(f.path, resolved.bundle.base).pathname);
      expect(served.status).toBe(200);
      expect(await hashOf(new Uint8Array(await served.arrayBuffer()))).toBe(f.hash);
    }
  });

  it('refuses an upload that fails its hash (400, nothing stored) and a commit naming a file never uploaded (400, nothing published)', async ({
    skip,
  }) => {
    const { get, token } = u();
    const build = needBuild(skip);
    const auth = { Authorization: `Bearer ${token}` };
    const worker = build['app.worker.js']!;
    const real = await hashOf(worker);
    const altered = new TextEncoder().encode(
      `${new TextDecoder().decode(worker)}\n// upload-refused ${Date.now()}\n`,
    );
    const alteredHash = await hashOf(altered);
    // The altered bytes sent under another file's hash, then under a hash nobody has.
    const wrong = await get(`/v1/files/sha256-${'ab'.repeat(32)}`, {
      method: 'PUT',
      headers: auth,
      body: altered as Uint8Array<ArrayBuffer>,
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: 'hash_mismatch' } });
    const missing = await get('/v1/uploads/missing', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        files: [
          { hash: `sha256-${'ab'.repeat(32)}`, size: altered.length },
          { hash: alteredHash, size: altered.length },
        ],
      }),
    });
    expect(((await missing.json()) as { missing: string[] }).missing).toEqual([
      `sha256-${'ab'.repeat(32)}`,
      alteredHash,
    ]);

    const commit = await get('/v1/modules/upload-refused/commit', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        variants: [
          {
            name: 'pthreads',
            files: [
              {
                path: 'app.wasm',
                role: 'wasm',
                hash: await hashOf(build['app.wasm']!),
                size: build['app.wasm']!.length,
              },
              { path: 'app.js', hash: await hashOf(build['app.js']!), size: build['app.js']!.length },
              { path: 'app.worker.js', hash: alteredHash, size: altered.length },
            ],
          },
        ],
      }),
    });
    expect(commit.status).toBe(400);
    const body = (await commit.json()) as { error: { code: string; missing: string[] } };
    expect(body.error.code).toBe('missing_files');
    expect(body.error.missing).toContain(alteredHash);
    expect(body.error.missing).not.toContain(real);
    expect((await get('/v1/modules/upload-refused')).status).toBe(404);
  });

  it('refuses every upload route without the publish token (401), reading no body', async () => {
    const { get } = u();
    const hash = `sha256-${'cd'.repeat(32)}`;
    for (const [path, method] of [
      ['/v1/uploads/missing', 'POST'],
      [`/v1/files/${hash}`, 'PUT'],
      ['/v1/modules/upload-anon/commit', 'POST'],
    ] as const) {
      const res = await get(path, { method, body: '{}' });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await get('/v1/modules/upload-anon')).status).toBe(404);
  });
}
