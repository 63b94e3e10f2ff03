/**
 * `weft publish <dir> --server URL` end to end on Debian emcc output: the app folder's three builds
 * (pthreads, simd, plain) published whole to the Node entry over the upload protocol, then run by
 * `loadEmscripten` on Node; a republish that changed only one glue sends only that glue (counted on
 * the wire by a proxy in front of the server); an upload cut off mid-body leaves the previous
 * version serving and nothing half-written, and the retry publishes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadEmscripten } from '../src/emscripten/index.js';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { describeWith } from './harness/require.js';

const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const TOKEN = 'upload-token-0123456789';
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

interface App {
  _count_primes(n: number): number;
  PThread?: { terminateAllThreads(): void };
}

interface Summary {
  module: string;
  files: { total: number; uploaded: number; skipped: number };
  bytes: { total: number; uploaded: number; skipped: number };
  uploaded: { variant: string; path: string; size: number }[];
  variants: { name: string }[];
}

/** `weft publish dir --server url --json`, its exit code, summary (stdout) and progress (stderr). */
function publish(url: string, dir: string): Promise<{ code: number; summary?: Summary; err: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, 'publish', dir, '--module', 'app', '--server', url, '--json'],
      { env: { ...process.env, WEFT_PUBLISH_TOKEN: TOKEN } },
      (error, stdout, stderr) =>
        done({
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          ...(stdout.trim() ? { summary: JSON.parse(stdout) as Summary } : {}),
          err: stderr,
        }),
    );
  });
}

/** A proxy in front of the server that counts the request bodies sent to each route kind. */
async function countingProxy(
  target: string,
): Promise<{ url: string; sent: { path: string; bytes: number }[]; close(): void }> {
  const to = new URL(target);
  const sent: { path: string; bytes: number }[] = [];
  const proxy = createServer((req, res) => {
    let bytes = 0;
    const out = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => sent.push({ path: req.url ?? '', bytes }));
    req.pipe(out);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    sent,
    close: () => proxy.close(),
  };
}

describeWith('Debian Emscripten (emcc)', emccBuilds(), EMCC_INSTALL, (builds) => {
  let server: RunningServer | undefined;
  afterEach(() => server?.close());

  /** A fresh store and server, and a copy of the emcc app folder to publish (and edit). */
  const fresh = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-upload-'));
    cpSync(join(builds, 'app'), join(dir, 'app'), { recursive: true });
    const store = join(dir, 'store');
    server = await startServer({ store: fsStore({ dir: store }), port: 0, publishToken: TOKEN });
    return { app: join(dir, 'app'), store, url: server.url };
  };

  const run = async (url: string) => {
    const { app, variant } = await loadEmscripten<App>('app', { server: url });
    try {
      return { variant: variant.name, primes: app._count_primes(200_000) };
    } finally {
      app.PThread?.terminateAllThreads();
    }
  };

  it('publishes the app folder (pthreads, simd, plain) whole over --server, and loadEmscripten runs the pthreads build on Node', async () => {
    const { app, url } = await fresh();
    const { code, summary, err } = await publish(url, app);
    expect(code, err).toBe(0);
    const files = ['pthreads', 'simd', 'plain'].flatMap((b) =>
      readdirSync(join(app, b)).map((f) => `${b}/${f}`),
    );
    expect(summary!.variants.map((v) => v.name).sort()).toEqual(['plain', 'pthreads', 'simd']);
    // Files alike in two builds (same bytes) are one upload.
    const unique = new Set(files.map((f) => sha(readFileSync(join(app, f))))).size;
    expect(summary!.files).toEqual({ total: unique, uploaded: unique, skipped: 0 });
    expect(err).toMatch(new RegExp(`upload 1/${unique} \\w+/app\\.\\w+ \\(\\d`));
    expect(await run(url)).toEqual({ variant: 'pthreads', primes: 17_984 });
  });

  it('republishing after only the pthreads glue changed sends that glue alone (counted on the wire)', async () => {
    const { app, url } = await fresh();
    const proxy = await countingProxy(url);
    try {
      expect((await publish(proxy.url, app)).code).toBe(0);
      appendFileSync(join(app, 'pthreads', 'app.js'), '\n// rebuilt\n');
      proxy.sent.length = 0;
      const { code, summary, err } = await publish(proxy.url, app);
      expect(code, err).toBe(0);
      const glue = readFileSync(join(app, 'pthreads', 'app.js'));
      const uploads = proxy.sent.filter((s) => s.path.startsWith('/v1/files/'));
      expect(uploads).toEqual([{ path: `/v1/files/sha256-${sha(glue)}`, bytes: glue.length }]);
      expect(summary!.uploaded).toEqual([
        { variant: 'pthreads', path: 'app.js', hash: `sha256-${sha(glue)}`, size: glue.length },
      ]);
      expect(summary!.files).toMatchObject({ uploaded: 1, skipped: summary!.files.total - 1 });
      expect(err).toMatch(new RegExp(`skip ${summary!.files.total - 1} file\\(s\\).*the server has them`));
      // Besides the glue, only the two small JSON requests went up.
      const json = proxy.sent.filter((s) => !s.path.startsWith('/v1/files/'));
      expect(json.map((s) => s.path)).toEqual(['/v1/uploads/missing', '/v1/modules/app/commit']);
      expect(await run(url)).toEqual({ variant: 'pthreads', primes: 17_984 });
    } finally {
      proxy.close();
    }
  });

  it('an upload cut off mid-body leaves the previous version serving and nothing half-written; the retry publishes', async () => {
    const { app, store, url } = await fresh();
    expect((await publish(url, app)).code).toBe(0);
    const servedGlue = async () => {
      const r = (await (
        await fetch(`${url}/v1/modules/app/resolve?caps=shared-memory,threads,workers,bulk-memory&host=node`)
      ).json()) as {
        bundle: { base: string };
      };
      return sha(new Uint8Array(await (await fetch(new URL('app.js', r.bundle.base))).arrayBuffer()));
    };
    const before = await servedGlue();
    appendFileSync(join(app, 'pthreads', 'app.js'), `\n// rebuilt ${'x'.repeat(100_000)}\n`);
    const glue = readFileSync(join(app, 'pthreads', 'app.js'));
    const hash = sha(glue);
    // Half the body, then the connection dropped.
    await new Promise<void>((done) => {
      const req = request(`${url}/v1/files/sha256-${hash}`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Length': String(glue.length) },
      });
      req.on('error', () => done());
      req.write(glue.subarray(0, glue.length >> 1), () => setTimeout(() => req.destroy(), 100));
      req.on('close', () => done());
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(join(store, 'files', `sha256-${hash}`))).toBe(false);
    expect(readdirSync(join(store, 'files')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await servedGlue()).toBe(before);
    expect(await run(url)).toEqual({ variant: 'pthreads', primes: 17_984 });

    const retry = await publish(url, app);
    expect(retry.code, retry.err).toBe(0);
    expect(retry.summary!.files.uploaded).toBe(1);
    expect(await servedGlue()).toBe(hash);
    expect(await run(url)).toEqual({ variant: 'pthreads', primes: 17_984 });
  });
});
