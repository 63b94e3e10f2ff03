/**
 * The upload protocol's refusals: each a 4xx JSON error with a stable code, and nothing visible
 * after it (no file stored under a hash, no module record). Through `app.fetch` on a memory store,
 * with Debian emcc's pthreads build as the bundle; the CLI's own refusal of an oversized file
 * against a real server.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { listen } from './harness/clients.js';
import { emccPthreadsBuild } from './harness/emcc-pthreads.js';
import { describeWith } from './harness/require.js';

const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const TOKEN = 'upload-token-0123456789';
const hashOf = (b: Uint8Array) => `sha256-${createHash('sha256').update(b).digest('hex')}`;
const ROLES: Record<string, string> = { 'app.wasm': 'wasm', 'app.js': 'glue', 'app.worker.js': 'worker' };

function setup(options: { maxUploadBytes?: number; publishToken?: string } = { publishToken: TOKEN }) {
  const store = memoryStore();
  const app = createApp({ store, ...options });
  const call = (path: string, init: RequestInit & { auth?: boolean } = {}) => {
    const { auth = true, ...rest } = init;
    return app.request(path, {
      ...rest,
      headers: { ...(auth ? { Authorization: `Bearer ${TOKEN}` } : {}), ...(rest.headers as object) },
    });
  };
  const post = (path: string, body: unknown) =>
    call(path, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });
  const upload = (bytes: Uint8Array, hash = hashOf(bytes)) =>
    call(`/v1/files/${hash}`, { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer> });
  /** Nothing any reader could see: no file stored, no module recorded. */
  const nothingVisible = async () => {
    expect(await store.list('files/')).toEqual([]);
    expect(await store.list('modules/')).toEqual([]);
    expect(await store.list('bundles/')).toEqual([]);
  };
  return { store, app, call, post, upload, nothingVisible };
}

const error = async (res: Response, status: number, code: string) => {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error).toMatchObject({ code, message: expect.any(String) });
  return body.error;
};

it('refuses a file over the upload limit (413), with or without Content-Length, and stores nothing', async () => {
  const { call, post, nothingVisible } = setup({ maxUploadBytes: 1024, publishToken: TOKEN });
  const big = new Uint8Array(4096).fill(7);
  await error(await call(`/v1/files/${hashOf(big)}`, { method: 'PUT', body: big }), 413, 'payload_too_large');
  // Streamed, no length announced: counted as it arrives.
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < 4; i++) c.enqueue(big.subarray(i * 1024, (i + 1) * 1024));
      c.close();
    },
  });
  await error(
    await call(`/v1/files/${hashOf(big)}`, { method: 'PUT', body: stream, duplex: 'half' } as RequestInit),
    413,
    'payload_too_large',
  );
  // The question before any upload says which file is too large, and the limit.
  const asked = await post('/v1/uploads/missing', { files: [{ hash: hashOf(big), size: big.length }] });
  expect(await asked.json()).toEqual({ missing: [hashOf(big)], tooLarge: [hashOf(big)], maxFileBytes: 1024 });
  await nothingVisible();
});

it('answers 403 on every upload route when publishing is disabled, and 429 after repeated failed logins', async () => {
  const off = setup({});
  await error(await off.post('/v1/uploads/missing', { files: [] }), 403, 'publish_disabled');
  await error(await off.upload(new Uint8Array([1])), 403, 'publish_disabled');
  await error(await off.post('/v1/modules/m/commit', {}), 403, 'publish_disabled');
  const on = setup();
  for (let i = 0; i < 10; i++)
    await error(
      await on.call('/v1/uploads/missing', { method: 'POST', auth: false, body: '{}' }),
      401,
      'unauthorized',
    );
  const limited = await on.upload(new Uint8Array([1]));
  await error(limited, 429, 'too_many_requests');
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  await on.nothingVisible();
});

it('refuses malformed questions and commits with 400 naming the field, never echoing input', async () => {
  const { call, post, nothingVisible } = setup();
  await error(
    await post('/v1/uploads/missing', { files: [{ hash: '<script>', size: 1 }] }),
    400,
    'bad_commit',
  );
  await error(
    await call(`/v1/files/sha256-${'0'.repeat(63)}Z`, { method: 'PUT', body: 'x' }),
    400,
    'bad_request',
  );
  await error(await call('/v1/modules/m/commit', { method: 'POST', body: '{not json' }), 400, 'bad_commit');
  const cases: [unknown, RegExp][] = [
    [{ variants: [] }, /^variants: must be an array of 1 to 32/],
    [
      { variants: [{ name: 'a', files: [{ path: '../x', hash: hashOf(new Uint8Array()), size: 0 }] }] },
      /files\[0\]\.path/,
    ],
    [
      { variants: [{ name: 'a', files: [{ path: 'a.js', hash: hashOf(new Uint8Array()), size: 0 }] }] },
      /exactly one file role "wasm"/,
    ],
    [{ variants: [{ name: 'a', files: [], '<b>': 1 }] }, /variants\[0\]\.\(a field\): is not a known field/],
    [
      {
        variants: [
          {
            name: 'a',
            declaration: { frobnicate: 1 },
            files: [{ path: 'a.wasm', role: 'wasm', hash: hashOf(new Uint8Array()), size: 0 }],
          },
        ],
      },
      /declaration\.frobnicate: is not a known field/,
    ],
  ];
  for (const [body, message] of cases) {
    const e = await error(await post('/v1/modules/m/commit', body), 400, 'bad_commit');
    expect(e.message).toMatch(message);
    expect(e.message).not.toMatch(/<|\.\.\/x/);
  }
  await nothingVisible();
});

describeWith('Debian Emscripten (emcc)', emccBuilds(), EMCC_INSTALL, (builds) => {
  const build = () => emccPthreadsBuild()!;
  const listed = (files: Record<string, Uint8Array>) =>
    Object.entries(files).map(([path, bytes]) => ({
      path,
      role: ROLES[path],
      hash: hashOf(bytes),
      size: bytes.length,
    }));

  it('refuses a commit whose size disagrees with the uploaded file, and one whose glue loads a file the build lacks', async () => {
    const { store, post, upload } = setup();
    const files = build();
    for (const bytes of Object.values(files)) expect((await upload(bytes)).status).toBe(201);
    const all = listed(files);
    const wrongSize = all.map((f) => (f.path === 'app.js' ? { ...f, size: f.size + 1 } : f));
    const e = await error(
      await post('/v1/modules/m/commit', { variants: [{ name: 'pthreads', files: wrongSize }] }),
      400,
      'size_mismatch',
    );
    expect(e.message).toMatch(/files\[\d\]\.size/);
    // The pthreads glue loads app.worker.js: a commit without it is what `weft publish` refuses too.
    const noWorker = all.filter((f) => f.path !== 'app.worker.js');
    const w = await error(
      await post('/v1/modules/m/commit', { variants: [{ name: 'pthreads', files: noWorker }] }),
      400,
      'bad_declaration',
    );
    expect(w.message).toMatch(/the glue loads a file the bundle does not hold \(app\.worker\.js\)/);
    const role = all.map((f) => (f.path === 'app.js' ? { ...f, role: 'data' } : f));
    await error(
      await post('/v1/modules/m/commit', { variants: [{ name: 'pthreads', files: role }] }),
      400,
      'bad_commit',
    );
    expect(await store.list('modules/')).toEqual([]);
    expect(await store.list('bundles/')).toEqual([]);
    // Then the right commit publishes.
    expect(
      (await post('/v1/modules/m/commit', { variants: [{ name: 'pthreads', files: all }] })).status,
    ).toBe(201);
  });

  it('weft publish --server refuses a build holding a file over the server limit before sending any file', async () => {
    const store = memoryStore();
    const server = await listen(createApp({ store, publishToken: TOKEN, maxUploadBytes: 16 * 1024 }));
    try {
      const dir = mkdtempSync(join(tmpdir(), 'weft-upload-big-'));
      cpSync(join(builds, 'app', 'pthreads'), dir, { recursive: true });
      writeFileSync(join(dir, 'app.data'), new Uint8Array(64 * 1024));
      const failed = await promisify(execFile)(
        process.execPath,
        [CLI, 'publish', dir, '--module', 'app', '--server', server.origin],
        { env: { ...process.env, WEFT_PUBLISH_TOKEN: TOKEN } },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => err,
      );
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/over the server's per-file limit of 16\.0 KiB: nothing was sent/);
      expect(await store.list('files/')).toEqual([]);
      expect(await store.list('modules/')).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
