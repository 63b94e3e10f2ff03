/**
 * Garbage collection racing publishes on the fs store: two `weft serve` processes on one store
 * folder, 50 rounds, each publishing fresh builds of three modules through both processes at once
 * over the upload protocol while gc (grace 0) runs again and again through both. Afterwards every
 * record's every referenced object is present and whole, every publish got through, and gc did
 * delete (the builds each round replaced). Also: `weft gc --store` and `--server` end to end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { custom, wasm } from '../src/inspect/wasm-builder.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { CLI, runCli } from './harness/cli.js';
import {
  type Fetch,
  gcLoop,
  publishBuild,
  raceBuild,
  removeReplaced,
  removeVersion,
  verifyStore,
} from './harness/gc-race.js';

const TOKEN = 'gc-race-token-0123456789';
const ROUNDS = 50;
const MODULES = ['one', 'two', 'three'];

let dir = '';
const servers: { child: ChildProcess; url: string; fetch: Fetch }[] = [];

function serve(store: string): Promise<{ child: ChildProcess; url: string; fetch: Fetch }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--store', store], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WEFT_PUBLISH_TOKEN: TOKEN },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const url = /serving on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ child, url, fetch: (path, init) => fetch(`${url}${path}`, init) });
    });
    child.once('exit', () => reject(new Error(`weft serve exited without serving: ${out}`)));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-gc-race-'));
  // One after the other: the first seeds the demo into the empty folder.
  servers.push(await serve(join(dir, 'store')));
  servers.push(await serve(join(dir, 'store')));
}, 30_000);

afterAll(async () => {
  for (const s of servers) {
    const exited = once(s.child, 'exit');
    s.child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

it(`loses nothing when gc (grace 0) races ${ROUNDS} rounds of publishes through two weft serve processes on one fs store`, async () => {
  let done!: () => void;
  const stop = new Promise<void>((r) => {
    done = r;
  });
  const gc = gcLoop(
    servers.map((s) => s.fetch),
    TOKEN,
    stop,
  );
  const outcomes: {
    where: string;
    lease: boolean;
    ok: boolean;
    tries: number;
    collected: number;
    last: string;
  }[] = [];
  const store = fsStore({ dir: join(dir, 'store') });
  const previous = new Map<string, string>();
  const removals: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const jobs = MODULES.map((m, i) =>
      // `three` publishes as a client without the upload lease would: its uploads are fair game
      // between upload and commit, and a commit that finds one collected is retried.
      publishBuild(
        servers[(i + round) % 2]!.fetch,
        TOKEN,
        m,
        raceBuild(`${m} round ${round}`),
        m !== 'three',
      ).then((o) => ({ where: `round ${round} ${m}`, lease: m !== 'three', ...o })),
    );
    const published = await Promise.all(jobs);
    outcomes.push(...published);
    // The versions this round replaced are removed: their builds are garbage from now on, for gc to
    // collect while the next round publishes.
    removals.push(
      ...(await removeReplaced(
        servers[round % 2]!.fetch,
        TOKEN,
        previous,
        published.map((o, i) => ({ module: MODULES[i]!, version: o.version })),
      )),
    );
    // A breath between rounds, as between real publishes: gc, which gives way to every lease, gets its turns.
    await new Promise((r) => setTimeout(r, 150));
    if (round % 10 === 9) expect((await verifyStore(store)).problems, `after round ${round}`).toEqual([]);
  }
  done();
  const tally = await gc;
  const final = await verifyStore(store);
  const failed = outcomes.filter((o) => !o.ok);
  console.log(
    `fs gc race: ${outcomes.length} publishes (${outcomes.reduce((n, o) => n + o.tries, 0)} tries, ${outcomes.reduce((n, o) => n + o.collected, 0)} commits found an upload collected), gc ${tally.runs} runs (${tally.busy} busy) deleted ${tally.deleted} objects; ${final.records} records, ${final.objects} referenced objects verified`,
  );
  expect(failed.map((o) => `${o.where}: ${o.last}`)).toEqual([]);
  expect(tally.failures).toEqual([]);
  // Under an upload lease, gc never took a file between its upload and its commit.
  expect(outcomes.filter((o) => o.lease && o.collected > 0).map((o) => o.where)).toEqual([]);
  expect(final.problems).toEqual([]);
  expect(removals).toEqual([]);
  expect(final.modules).toBe(MODULES.length + 1); // and the seeded demo
  expect(tally.runs).toBeGreaterThanOrEqual(10);
  // Each round replaced the last one's builds and removed their version: gc found them and deleted them.
  expect(tally.deleted).toBeGreaterThan(ROUNDS);
  // The last round's builds are what the records name.
  for (const m of MODULES) {
    const res = await servers[0]!.fetch(`/v1/modules/${m}`);
    expect(res.status).toBe(200);
  }
}, 240_000);

it('weft gc --store reports and deletes; --server does the same through POST /v1/gc; --dry-run changes nothing', async () => {
  const store = join(dir, 'cli-store');
  const s = await serve(store);
  try {
    const versions: string[] = [];
    for (const round of [1, 2]) {
      const published = await publishBuild(s.fetch, TOKEN, 'cli', raceBuild(`cli ${round}`));
      expect(published.ok).toBe(true);
      versions.push(published.version!);
    }
    // Round 1's version removed: its builds are referenced by no record any more.
    expect(await removeVersion(s.fetch, TOKEN, 'cli', versions[0]!)).toBe('');
    const dry = await runCli(['gc', '--server', s.url, '--grace', '0', '--dry-run', '--json'], {
      WEFT_PUBLISH_TOKEN: TOKEN,
    });
    expect(dry.code, dry.err).toBe(0);
    const would = JSON.parse(dry.out);
    // Round 1's wasm (its blob, record and gzip copy may vary), its glue, its data and its bundle record.
    expect(would).toMatchObject({ dryRun: true, graceMs: 0 });
    expect(would.deleted.objects).toBeGreaterThanOrEqual(5);
    const marked = await runCli(['gc', '--store', store, '--grace', '1h']);
    expect(marked.code, marked.err).toBe(0);
    expect(marked.out).toMatch(new RegExp(`marked +${would.deleted.objects} `));
    expect(marked.out).toMatch(/deleted +0 /);
    const gone = await runCli(['gc', '--server', s.url, '--grace', '0', '--json'], {
      WEFT_PUBLISH_TOKEN: TOKEN,
    });
    expect(JSON.parse(gone.out).deleted.objects).toBe(would.deleted.objects);
    expect((await verifyStore(fsStore({ dir: store }))).problems).toEqual([]);
    const refused = await runCli(['gc', '--server', s.url], { WEFT_PUBLISH_TOKEN: 'wrong' });
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/HTTP 401/);
  } finally {
    const exited = once(s.child, 'exit');
    s.child.kill('SIGTERM');
    await exited;
  }
}, 60_000);

it('weft publish --server uploads again and commits once more when gc took a file before the commit', async () => {
  const store = join(dir, 'retry-store');
  const s = await serve(store);
  // A proxy that hides the upload lease (as a server without leases would) and runs gc (grace 0)
  // just before it forwards the first commit: the file just uploaded is unreferenced then.
  let commits = 0;
  const proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url?.endsWith('/commit') && commits++ === 0) {
      const gc = await s.fetch('/v1/gc', {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: '{"grace":"0"}',
      });
      expect(((await gc.json()) as { deleted: { objects: number } }).deleted.objects).toBe(1);
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'weft-upload-lease'].includes(k)),
    ) as Record<string, string>;
    const answer = await s.fetch(req.url!, {
      method: req.method!,
      headers,
      ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
    });
    let body = Buffer.from(await answer.arrayBuffer());
    if (req.url === '/v1/uploads/missing' && answer.ok) {
      const { lease: _hidden, ...rest } = JSON.parse(body.toString()) as Record<string, unknown>;
      body = Buffer.from(JSON.stringify(rest));
    }
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
    });
    res.end(body);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    const file = join(dir, 'retry.wasm');
    writeFileSync(file, wasm(custom('weft.retry', [1, 2, 3])));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const run = await runCli(['publish', file, '--module', 'retry', '--server', url, '--json'], {
      WEFT_PUBLISH_TOKEN: TOKEN,
    });
    expect(run.code, run.err).toBe(0);
    expect(run.err).toMatch(/no longer has some files \(collected meanwhile\): uploading them again/);
    expect(commits).toBe(2);
    expect(JSON.parse(run.out).files.uploaded).toBe(2);
    expect((await verifyStore(fsStore({ dir: store }))).problems).toEqual([]);
  } finally {
    proxy.close();
    const exited = once(s.child, 'exit');
    s.child.kill('SIGTERM');
    await exited;
  }
}, 60_000);
