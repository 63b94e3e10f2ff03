/**
 * Versions end to end on the real Node entry over HTTP (weft serve's server, a folder store): a
 * pinned version keeps serving its own bytes after the next publish, rollback is one call, a
 * removed version is a 410 and a LoadError, never another version's bytes; and Debian emcc's
 * pthreads app published twice with `weft publish DIR --server URL --version` loads pinned through
 * `loadEmscripten` on Node. The CLI's `versions`, `rollback` and `remove` drive the server.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEmscripten } from '../src/emscripten/index.js';
import { dataModule } from '../src/inspect/wasm-builder.js';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { LoadError, load } from '../src/sdk/load.js';
import { EMCC_INSTALL, emccBuilds } from './harness/builds.js';
import { runCli } from './harness/cli.js';
import { describeWith } from './harness/require.js';

const TOKEN = 'versions-token-0123456789';
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const env = { WEFT_PUBLISH_TOKEN: TOKEN };
const auth = { Authorization: `Bearer ${TOKEN}` };

let server: RunningServer | undefined;
afterEach(() => server?.close());

async function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'weft-versions-'));
  const store = join(dir, 'store');
  server = await startServer({ store: fsStore({ dir: store }), port: 0, publishToken: TOKEN });
  return { dir, store, url: server.url };
}

const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());

describe('versions over HTTP on the Node entry', () => {
  it('v1 pinned keeps v1 exact bytes after v2; rollback makes v1 current in one call; removed v2 is 410 and a LoadError', async () => {
    const { url, store } = await fresh();
    const v1 = dataModule(4096, 1);
    const v2 = dataModule(4096, 2, 'check', 7);
    const put = (bytes: Uint8Array, version: string) =>
      fetch(`${url}/v1/modules/plain/variants/main?version=${version}`, {
        method: 'PUT',
        body: bytes as Uint8Array<ArrayBuffer>,
        headers: auth,
      });
    expect((await put(v1, '1.0.0')).status).toBe(201);
    expect((await put(v2, '2.0.0')).status).toBe(201);

    expect(sha(await bytesOf(await fetch(`${url}/v1/modules/plain@1.0.0/wasm?caps=`)))).toBe(sha(v1));
    expect(sha(await bytesOf(await fetch(`${url}/v1/modules/plain/wasm?caps=`)))).toBe(sha(v2));
    const check = async (version?: string) => {
      const got = await load('plain', {
        server: url,
        profile: { host: 'node', caps: [] },
        ...(version ? { version } : {}),
      });
      return (got.instance!.exports.check as () => number)();
    };
    expect(await check('1.0.0')).toBe(1);
    expect(await check()).toBe(2);

    const back = await runCli(['rollback', 'plain', '1.0.0', '--server', url], env);
    expect(back, back.err).toMatchObject({ code: 0, out: 'plain: 1.0.0 is current (was 2.0.0)\n' });
    expect(sha(await bytesOf(await fetch(`${url}/v1/modules/plain/wasm?caps=`)))).toBe(sha(v1));
    expect(await check()).toBe(1);

    const refused = await runCli(['remove', 'plain', '1.0.0', '--server', url], env);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/HTTP 409 version_current/);
    const removed = await runCli(['remove', 'plain', '2.0.0', '--server', url], env);
    expect(removed, removed.err).toMatchObject({ code: 0 });
    const gone = await fetch(`${url}/v1/modules/plain@2.0.0/wasm?caps=`);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('version_removed');
    const failed = await load('plain', {
      server: url,
      profile: { host: 'node', caps: [] },
      version: '2.0.0',
    }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(LoadError);
    expect((failed as Error).message).toMatch(/version 2\.0\.0 was removed \(HTTP 410 version_removed\)/);
    const never = await load('plain', {
      server: url,
      profile: { host: 'node', caps: [] },
      version: '9.0.0',
    }).catch((err: unknown) => err);
    expect((never as Error).message).toMatch(/version 9\.0\.0 was never published/);

    // The listing, over HTTP and from the folder store itself, says the same.
    const listed = await runCli(['versions', 'plain', '--server', url, '--json'], env);
    const fromStore = await runCli(['versions', 'plain', '--store', store, '--json']);
    expect(JSON.parse(listed.out)).toEqual(JSON.parse(fromStore.out));
    expect(JSON.parse(listed.out)).toMatchObject({
      name: 'plain',
      current: '1.0.0',
      versions: [
        { version: '1.0.0', published: expect.any(String) },
        { version: '2.0.0', removed: expect.any(String) },
      ],
    });
    const text = await runCli(['versions', 'plain', '--server', url]);
    expect(text.out).toMatch(
      /^plain: current 1\.0\.0\n {2}1\.0\.0 {2}published \S+ {2}\(current\)\n {2}2\.0\.0 {2}removed /,
    );
  });
});

interface App {
  _count_primes(n: number): number;
  PThread?: { terminateAllThreads(): void };
}

describeWith('Debian Emscripten (emcc)', emccBuilds(), EMCC_INSTALL, (builds) => {
  it('the pthreads app published twice with weft publish --server --version loads pinned through loadEmscripten', async () => {
    const { dir, url } = await fresh();
    const app = join(dir, 'app');
    cpSync(join(builds, 'app', 'pthreads'), app, { recursive: true });
    const publish = (version: string) =>
      runCli(['publish', app, '--module', 'app', '--server', url, '--version', version, '--json'], env);
    const first = await publish('1.0.0');
    expect(first.code, first.err).toBe(0);
    appendFileSync(join(app, 'app.js'), '\n// the second build\n');
    const second = await publish('2.0.0');
    expect(second.code, second.err).toBe(0);
    expect(JSON.parse(second.out)).toMatchObject({ version: '2.0.0' });
    // Publishing 1.0.0 again with other files is refused: versions are immutable.
    const again = await publish('1.0.0');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/HTTP 409 version_exists/);

    const run = async (version?: string) => {
      const { app: m, variant } = await loadEmscripten<App>('app', {
        server: url,
        ...(version ? { version } : {}),
      });
      try {
        const glue = variant.bundle!.files.find((f) => f.path === 'app.js')!;
        return { glue: glue.integrity, primes: m._count_primes(200_000) };
      } finally {
        m.PThread?.terminateAllThreads();
      }
    };
    const glueOf = (text: string) => `sha256-${createHash('sha256').update(text).digest('base64')}`;
    const v2glue = glueOf(readFileSync(join(app, 'app.js'), 'utf8'));
    const v1glue = glueOf(readFileSync(join(builds, 'app', 'pthreads', 'app.js'), 'utf8'));
    expect(v1glue).not.toBe(v2glue);
    expect(await run('1.0.0')).toEqual({ glue: v1glue, primes: 17_984 });
    expect(await run()).toEqual({ glue: v2glue, primes: 17_984 });

    expect((await runCli(['rollback', 'app', '1.0.0', '--server', url], env)).code).toBe(0);
    expect(await run()).toEqual({ glue: v1glue, primes: 17_984 });
    expect((await runCli(['remove', 'app', '2.0.0', '--server', url], env)).code).toBe(0);
    const failed = await run('2.0.0').catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(LoadError);
    expect((failed as LoadError).stage).toBe('wasm');
    expect((failed as Error).message).toMatch(/version 2\.0\.0 was removed/);
  });
});
