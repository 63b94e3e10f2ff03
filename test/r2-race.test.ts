/**
 * Publishers racing through two Workers on one R2 bucket: the built Worker (dist/worker.js) runs
 * twice in one workerd, as Workers `a` and `b` (separate isolates, so separate in-isolate publish
 * locks), both bound to the bucket `weft`. Each round sends concurrent `PUT`s of variants of two
 * fresh modules split across both Workers; afterwards both Workers must list every variant, answer
 * a well-formed module record, and serve every blob whole. Only HTTP is used: nothing reads the
 * bucket's keys, so the test holds whatever layout the registry stores.
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { custom, wasm } from '../src/inspect/wasm-builder.js';
import type { RemoteModule } from '../src/profile/wire.js';
import { builtWorker } from './harness/built-worker.js';

const _root = new URL('..', import.meta.url).pathname;
const TOKEN = 'race-token-0123456789abcdef';
const ROUNDS = 50;
// Per round: three variants of one module and two of another, all at once, alternating Workers.
const SHAPE = [
  ['one', 'v1'],
  ['one', 'v2'],
  ['one', 'v3'],
  ['two', 'v1'],
  ['two', 'v2'],
] as const;
// A Worker keeps the registry's answers for up to ~2 s (its catalog); a read through the other
// Worker may lag that long. A lost publish never appears, so waiting this long cannot hide one.
const SETTLE_MS = 4_000;

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const sri = (bytes: Uint8Array) => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
/** A valid wasm module of its own bytes (so its own blob), named in a custom section. */
const body = (id: string) => wasm(custom('weft.race', [...new TextEncoder().encode(id)]));

let mf: Miniflare | undefined;
let persist = '';
const workers: Record<'a' | 'b', Fetch> = {} as never;

beforeAll(async () => {
  persist = mkdtempSync(join(tmpdir(), 'weft-r2-race-'));
  const worker = (name: string) => builtWorker(name, TOKEN);
  try {
    // workerd listens on 127.0.0.1 only (miniflare's default host).
    mf = new Miniflare({ workers: [worker('a'), worker('b')], r2Persist: persist });
    await mf.ready;
    for (const name of ['a', 'b'] as const) {
      // A Fetcher straight to the named Worker (dispatchFetch reaches only the first one).
      const fetcher = (await mf.getWorker(name)) as unknown as { fetch: Fetch };
      workers[name] = (path, init) => fetcher.fetch(`http://weft.test${path}`, init);
    }
  } catch (err) {
    throw new Error(`workerd (miniflare) could not start dist/worker.js twice: ${(err as Error).message}`, {
      cause: err,
    });
  }
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  if (persist) rmSync(persist, { recursive: true, force: true });
});

async function put(via: Fetch, module: string, variant: string, bytes: Uint8Array): Promise<void> {
  const res = await via(`/v1/modules/${module}/variants/${variant}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}` },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  const text = await res.text();
  expect(res.status, `PUT ${module}/${variant}: ${text}`).toBe(201);
}

/** The module's record once it lists every `expected` variant, or the last one read after SETTLE_MS. */
async function settled(via: Fetch, module: string, expected: string[]): Promise<RemoteModule | null> {
  const until = Date.now() + SETTLE_MS;
  for (;;) {
    const res = await via(`/v1/modules/${module}`);
    // A 404 until the module shows up at all.
    const answer = res.status === 200 ? ((await res.json()) as RemoteModule) : null;
    if (!answer) await res.arrayBuffer();
    const names = answer?.variants.map((v) => v.name) ?? [];
    if (expected.every((n) => names.includes(n)) || Date.now() > until) return answer;
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('shares one R2 bucket between the two Workers: published through a, served through b', async () => {
  const bytes = body('shared/probe');
  await put(workers.a, 'shared', 'probe', bytes);
  const answer = await settled(workers.b, 'shared', ['probe']);
  expect(answer?.variants.map((v) => v.name)).toEqual(['probe']);
  const blob = await workers.b(`/v1/blobs/sha256-${hex(bytes)}.wasm`, {
    headers: { 'accept-encoding': 'identity' },
  });
  expect(blob.status).toBe(200);
  expect(Buffer.from(await blob.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
});

it(`loses no publish when two Workers on one R2 bucket publish at once (${ROUNDS} rounds)`, async () => {
  const published: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const jobs = SHAPE.map(([m, variant], i) => {
      const module = `r${round}-${m}`;
      // Alternate Workers, starting with the other one each round: each module's variants are split.
      const via = (i + round) % 2 === 0 ? 'a' : 'b';
      return { module, variant, via, bytes: body(`${module}/${variant}`) } as const;
    });
    await Promise.all(jobs.map((j) => put(workers[j.via], j.module, j.variant, j.bytes)));

    for (const module of new Set(jobs.map((j) => j.module))) {
      const mine = jobs.filter((j) => j.module === module);
      const want = mine.map((j) => j.variant).sort();
      for (const via of ['a', 'b'] as const) {
        const where = `round ${round}, ${module} through ${via}`;
        const answer = await settled(workers[via], module, want);
        expect(answer, `${where}: the module is missing`).not.toBeNull();
        // Exactly the variants this round published, each once: none lost, none from elsewhere.
        expect(answer!.variants.map((v) => v.name).sort(), `${where}: variants`).toEqual(want);
        expect(answer!.name, where).toBe(module);
        expect(answer!.version, where).toMatch(/^[0-9A-Za-z.+-]{1,64}$/);
        if (answer!.fallback !== undefined) expect(want, `${where}: fallback`).toContain(answer!.fallback);
        for (const v of answer!.variants) {
          const sent = mine.find((j) => j.variant === v.name)!.bytes;
          expect(v.model, `${where}/${v.name}`).toBe('single');
          expect(v.size, `${where}/${v.name}`).toBe(sent.length);
          expect(v.integrity, `${where}/${v.name}`).toBe(sri(sent));
          const path = new URL(v.url).pathname;
          expect(path, `${where}/${v.name}`).toBe(`/v1/blobs/sha256-${hex(sent)}.wasm`);
          // The blob whole: its bytes hash to its name.
          const res = await workers[via](path, { headers: { 'accept-encoding': 'identity' } });
          const got = new Uint8Array(await res.arrayBuffer());
          expect(res.status, `${where}/${v.name}: GET ${path}`).toBe(200);
          expect(`/v1/blobs/sha256-${hex(got)}.wasm`, `${where}/${v.name}: blob bytes`).toBe(path);
        }
      }
    }
    published.push(...jobs.map((j) => `${j.module}/${j.variant}`));
  }

  // At the end, both Workers list every module of every round with its variants.
  for (const via of ['a', 'b'] as const) {
    const res = await workers[via]('/v1/modules');
    const { modules } = (await res.json()) as { modules: { name: string; variants: string[] }[] };
    const listed = modules.flatMap((m) => m.variants.map((v) => `${m.name}/${v}`));
    expect(
      published.filter((p) => !listed.includes(p)),
      `missing from GET /v1/modules through ${via}`,
    ).toEqual([]);
  }
}, 110_000);
