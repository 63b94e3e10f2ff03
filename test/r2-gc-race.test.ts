/**
 * Garbage collection racing publishes on R2 in workerd: the built Worker (dist/worker.js) runs
 * twice in one workerd, as Workers `a` and `b` (separate isolates), both bound to the bucket
 * `weft` (as in r2-race.test.ts). 50 rounds each publish fresh builds of three modules through both
 * Workers at once over the upload protocol while gc (grace 0) runs again and again through both.
 * Afterwards the bucket itself (read through miniflare, not the Workers) holds every record's every
 * referenced object, whole; every publish got through; gc deleted what each round replaced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type R2BucketLike, r2Store } from '../src/registry/stores/r2.js';
import { builtWorker } from './harness/built-worker.js';
import {
  type Fetch,
  gcLoop,
  publishBuild,
  raceBuild,
  removeReplaced,
  verifyStore,
} from './harness/gc-race.js';

const _root = new URL('..', import.meta.url).pathname;
const TOKEN = 'r2-gc-race-token-0123456789';
const ROUNDS = 50;
const MODULES = ['one', 'two', 'three'];

let mf: Miniflare | undefined;
let persist = '';
const workers: Fetch[] = [];

beforeAll(async () => {
  persist = mkdtempSync(join(tmpdir(), 'weft-r2-gc-race-'));
  mf = new Miniflare({ workers: [builtWorker('a', TOKEN), builtWorker('b', TOKEN)], r2Persist: persist });
  await mf.ready;
  for (const name of ['a', 'b']) {
    const fetcher = (await mf.getWorker(name)) as unknown as { fetch: Fetch };
    workers.push((path, init) => fetcher.fetch(`http://weft.test${path}`, init));
  }
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  if (persist) rmSync(persist, { recursive: true, force: true });
});

it(`loses nothing when gc (grace 0) races ${ROUNDS} rounds of publishes through two Workers on one R2 bucket`, async () => {
  const bucket = r2Store({ bucket: (await mf!.getR2Bucket('WEFT_BUCKET', 'a')) as unknown as R2BucketLike });
  let done!: () => void;
  const stop = new Promise<void>((r) => {
    done = r;
  });
  const gc = gcLoop(workers, TOKEN, stop);
  const outcomes: { where: string; ok: boolean; tries: number; collected: number; last: string }[] = [];
  const previous = new Map<string, string>();
  const removals: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const jobs = MODULES.map((m, i) =>
      publishBuild(workers[(i + round) % 2]!, TOKEN, m, raceBuild(`${m} round ${round}`)).then((o) => ({
        where: `round ${round} ${m}`,
        ...o,
      })),
    );
    const published = await Promise.all(jobs);
    outcomes.push(...published);
    // The versions this round replaced are removed: their builds are garbage from now on, for gc to
    // collect while the next round publishes.
    removals.push(
      ...(await removeReplaced(
        workers[round % 2]!,
        TOKEN,
        previous,
        published.map((o, i) => ({ module: MODULES[i]!, version: o.version })),
      )),
    );
    // A breath between rounds, as between real publishes: gc, which gives way to every lease, gets its turns.
    await new Promise((r) => setTimeout(r, 150));
    if (round % 10 === 9) expect((await verifyStore(bucket)).problems, `after round ${round}`).toEqual([]);
  }
  done();
  const tally = await gc;
  const final = await verifyStore(bucket);
  console.log(
    `r2 gc race: ${outcomes.length} publishes (${outcomes.reduce((n, o) => n + o.tries, 0)} tries, ${outcomes.reduce((n, o) => n + o.collected, 0)} commits found an upload collected), gc ${tally.runs} runs (${tally.busy} busy) deleted ${tally.deleted} objects; ${final.records} records, ${final.objects} referenced objects verified`,
  );
  expect(outcomes.filter((o) => !o.ok).map((o) => `${o.where}: ${o.last}`)).toEqual([]);
  expect(tally.failures).toEqual([]);
  // Under their upload leases, gc never took a file between its upload and its commit.
  expect(outcomes.filter((o) => o.collected > 0).map((o) => o.where)).toEqual([]);
  expect(final.problems).toEqual([]);
  expect(removals).toEqual([]);
  expect(final.modules).toBe(MODULES.length);
  expect(tally.runs).toBeGreaterThanOrEqual(10);
  expect(tally.deleted).toBeGreaterThan(ROUNDS);
}, 300_000);
