/**
 * Figure 6b: scale on workerd with R2 (issue #15). The built Worker (dist/worker.js) in miniflare,
 * its local R2 bucket holding N = 10, 1,000 and 10,000 module records × 6 variants, written
 * straight into the bucket (no PUT; `/resolve` never reads blobs). Per size and round, a fresh
 * Miniflare on a fresh copy of that size's bucket: start-up to the first `/resolve` answer,
 * `/resolve` wall time over a window of sequential requests cycling through every module, workerd
 * CPU per request and RSS from /proc, and the bytes one `PUT` of a new variant writes to the bucket.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare, type Response as MiniflareResponse } from 'miniflare';
import { sha256, toHex } from '../src/contract/address.js';
import { serializeModule } from '../src/registry/records.js';
import type { ModuleEntry, Variant } from '../src/registry/schema.js';
import { bigWasm } from './fixture.js';
import { cpuMs, rssBytes, workerdChildren } from './proc.js';
import { bytes, mb, median, ms, percentile, type Row, type Section } from './stats.js';

const root = new URL('..', import.meta.url).pathname;
const TOKEN = 'bench-token-0123456789';
const SIZES = [10, 1000, 10_000];
const ROUNDS = 3;
const WINDOW_MS = 4000;
const HOT_WINDOW_MS = 2000;
const PROFILE = 'caps=simd,bulk-memory';
const COMPATIBILITY_DATE = '2026-05-03';
const BUCKET = 'weft';
// Records put at once while seeding: the local R2 simulator takes several ms per put.
const SEED_CONCURRENCY = 64;
const SEED_BATCH = 2000;
const GOALS = { p50: 1.2, p99: 2, startup: 2, rss: 1.5, publish: 1.01 };

// The same 6 shapes as bench/scale.ts: `simd,bulk-memory` rejects four and chooses `simd`.
const SHAPES: [string, Variant['model'], string[], string[]][] = [
  [
    'set',
    'shared-everything',
    ['set-types', 'set-globals', 'set-functions', 'set-threads', 'threads', 'workers'],
    ['thread-local-global'],
  ],
  ['sab-simd', 'sab', ['shared-memory', 'threads', 'workers', 'simd'], []],
  ['sab', 'sab', ['shared-memory', 'threads', 'workers'], []],
  ['wasi-threads', 'wasi-threads', ['shared-memory', 'threads', 'workers', 'wasi-threads'], []],
  ['simd', 'single', ['simd'], []],
  ['single', 'single', [], []],
];

/** Module i's record, as publish writes one (schema 3, `modules/m<i>.json`). */
function record(i: number): Uint8Array {
  const blob = (k: number) => `sha256-${i.toString(16).padStart(56, '0')}${k.toString(16).padStart(8, '0')}`;
  const entry = {
    version: `1.0.${i}`,
    variants: SHAPES.map(([name, model, requires, polyfills], k) => ({
      name,
      model,
      requires,
      blob: blob(k),
      size: 102_400,
      polyfills,
    })),
  } as ModuleEntry;
  return serializeModule(`m${i}`, entry);
}

// Writes, lists and deletes the bucket's objects from inside workerd: one dispatchFetch carries a
// batch (miniflare's R2 proxy to Node takes seconds per page of a 10,000-object listing).
const TOOL = `
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === '/list') {
      const all = [];
      let cursor;
      do {
        const page = await env.BUCKET.list(cursor ? { cursor } : {});
        for (const o of page.objects) all.push([o.key, o.size, o.version]);
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return Response.json(all);
    }
    const items = await request.json();
    let next = 0;
    const work = async () => {
      while (next < items.length) {
        const item = items[next++];
        if (path === '/put') await env.BUCKET.put(item[0], item[1]);
        else await env.BUCKET.delete(item);
      }
    };
    await Promise.all(Array.from({ length: ${SEED_CONCURRENCY} }, work));
    return new Response(String(items.length));
  },
};`;

/** key → [size, version] of every object in a bucket. */
type Listing = Map<string, [number, string]>;

/** Runs `work` with the tool Worker on the bucket persisted in `dir`. */
async function withTool<T>(
  dir: string,
  work: (call: (path: string, body?: unknown) => Promise<MiniflareResponse>) => Promise<T>,
): Promise<T> {
  const mf = new Miniflare({
    modules: true,
    script: TOOL,
    compatibilityDate: COMPATIBILITY_DATE,
    r2Buckets: { BUCKET },
    r2Persist: dir,
  });
  try {
    await mf.ready;
    return await work(async (path, body) => {
      const res = await mf.dispatchFetch(
        `http://tool.test${path}`,
        body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) },
      );
      if (res.status !== 200) throw new Error(`the bucket tool answered ${res.status} to ${path}`);
      return res;
    });
  } finally {
    await mf.dispose();
  }
}

const listing = async (call: (path: string) => Promise<MiniflareResponse>): Promise<Listing> =>
  new Map(
    ((await (await call('/list')).json()) as [string, number, string][]).map(([k, size, v]) => [
      k,
      [size, v],
    ]),
  );

// tmpfs where there is one: the local R2 keeps one file per object and SQLite beside it.
const scratch = () => (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

interface Seeded {
  dir: string;
  ms: number;
  recordBytes: number;
  objects: Listing;
}

/** A persisted local R2 bucket holding n module records, and how long writing them took. */
async function seed(n: number): Promise<Seeded> {
  const dir = mkdtempSync(join(scratch(), `weft-r2-${n}-`));
  return withTool(dir, async (call) => {
    const t0 = performance.now();
    let recordBytes = 0;
    for (let start = 0; start < n; start += SEED_BATCH) {
      const batch: [string, string][] = [];
      for (let i = start; i < Math.min(n, start + SEED_BATCH); i++) {
        const bytes = record(i);
        recordBytes += bytes.length;
        batch.push([`modules/m${i}.json`, new TextDecoder().decode(bytes)]);
      }
      await call('/put', batch);
    }
    const ms = performance.now() - t0;
    const objects = await listing(call);
    if (objects.size !== n) throw new Error(`seeded ${n} records, the bucket lists ${objects.size}`);
    return { dir, ms, recordBytes, objects };
  });
}

/**
 * What a run changed in the bucket (against its seeded listing), undone: new objects deleted,
 * replaced module records written back as seeded, so the next run starts on the same bucket.
 */
async function diffAndRestore(seeded: Seeded): Promise<{ key: string; size: number }[]> {
  return withTool(seeded.dir, async (call) => {
    const now = await listing(call);
    if ([...seeded.objects.keys()].some((key) => !now.has(key))) throw new Error('the run deleted objects');
    const written = [...now]
      .filter(([key, [, version]]) => seeded.objects.get(key)?.[1] !== version)
      .map(([key, [size]]) => ({ key, size }));
    const fresh = written.filter((w) => !seeded.objects.has(w.key)).map((w) => w.key);
    const replaced = written
      .filter((w) => seeded.objects.has(w.key))
      .map((w) => {
        const i = /^modules\/m(\d+)\.json$/.exec(w.key)?.[1];
        if (i === undefined) throw new Error(`the run replaced ${w.key}, which seeding did not write`);
        return [w.key, new TextDecoder().decode(record(Number(i)))];
      });
    await call('/delete', fresh);
    await call('/put', replaced);
    const back = await listing(call);
    if (back.size !== seeded.objects.size) throw new Error('the bucket was not restored');
    // The records written back have new versions: the next run is compared with them.
    seeded.objects = back;
    return written;
  });
}

interface Run {
  startup: number;
  /** Wall times of the window cycling through every module, then of the one cycling through 10. */
  latencies: number[];
  hot: number[];
  cpuPerRequest: number;
  /** Answers of the first window that came from the edge cache (`Weft-Cache: hit`). */
  cached: number;
  rss: number;
  /** Bytes of the objects the PUT created or replaced: all, and without the blob and its copy. */
  publishBytes: number;
  publishRecordBytes: number;
  publishKeys: string[];
  chosen: string;
}

const W = 'http://weft.test';
const name = (k: number, n: number) => `m${(k * 7919) % n}`;
const headers = { 'accept-encoding': 'identity' };

/** Sequential `/resolve` requests for `ms`, module k of the window named by `pick(k)`. */
async function window(mf: Miniflare, ms: number, pick: (k: number) => string) {
  const latencies: number[] = [];
  let cached = 0;
  const end = performance.now() + ms;
  for (let k = 0; performance.now() < end; k++) {
    const t = performance.now();
    const res = await mf.dispatchFetch(`${W}/v1/modules/${pick(k)}/resolve?${PROFILE}`, { headers });
    await res.arrayBuffer();
    latencies.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`/resolve answered ${res.status}`);
    if (res.headers.get('weft-cache') === 'hit') cached++;
  }
  return { latencies, cached };
}

async function measure(n: number, seeded: Seeded, put: Uint8Array, putBlob: string): Promise<Run> {
  const before = workerdChildren();
  let mf: Miniflare | undefined;
  let run: Omit<Run, 'publishBytes' | 'publishRecordBytes' | 'publishKeys'>;
  try {
    const t0 = performance.now();
    mf = new Miniflare({
      modules: true,
      scriptPath: join(root, 'dist/worker.js'),
      compatibilityDate: COMPATIBILITY_DATE,
      r2Buckets: { WEFT_BUCKET: BUCKET },
      r2Persist: seeded.dir,
      bindings: { WEFT_PUBLISH_TOKEN: TOKEN },
    });
    const first = await mf.dispatchFetch(`${W}/v1/modules/${name(1, n)}/resolve?${PROFILE}`, { headers });
    const body = (await first.json()) as { variant: string };
    const startup = performance.now() - t0;
    if (first.status !== 200) throw new Error(`the first /resolve answered ${first.status}`);
    const pid = [...workerdChildren()].find((p) => !before.has(p));
    if (pid === undefined) throw new Error('could not find the workerd process miniflare started');

    const cpu0 = cpuMs(pid);
    const all = await window(mf, WINDOW_MS, (k) => name(k, n));
    const cpuPerRequest = (cpuMs(pid) - cpu0) / all.latencies.length;
    const rss = rssBytes(pid);
    // Each of the 10 asked once first, so the second window holds no first request for a module.
    for (let k = 0; k < 10; k++)
      await mf
        .dispatchFetch(`${W}/v1/modules/m${k}/resolve?${PROFILE}`, { headers })
        .then((r) => r.arrayBuffer());
    const hot = await window(mf, HOT_WINDOW_MS, (k) => `m${k % 10}`);

    // One PUT of a new variant to an existing module. Its precompressed copy is made after the
    // answer (waitUntil): the bucket is listed once the blob's record lists the copy.
    const res = await mf.dispatchFetch(`${W}/v1/modules/m0/variants/extra`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: put,
    });
    if (res.status !== 201) throw new Error(`PUT answered ${res.status}: ${await res.text()}`);
    // Typed by hand: miniflare types its R2 proxy with Workers types this project does not load.
    const bucket = (await mf.getR2Bucket('WEFT_BUCKET')) as unknown as {
      get(key: string): Promise<{ text(): Promise<string> } | null>;
    };
    const deadline = performance.now() + 5000;
    while (!(await (await bucket.get(`blobs/${putBlob}.json`))?.text())?.includes('encodings')) {
      if (performance.now() > deadline)
        throw new Error("the PUT's precompressed copy was not recorded in 5 s");
      await new Promise((r) => setTimeout(r, 50));
    }
    run = {
      startup,
      latencies: all.latencies,
      hot: hot.latencies,
      cpuPerRequest,
      cached: all.cached,
      rss,
      chosen: body.variant,
    };
  } finally {
    await mf?.dispose();
  }
  const written = await diffAndRestore(seeded);
  const size = (xs: typeof written) => xs.reduce((s, w) => s + w.size, 0);
  return {
    ...run,
    publishBytes: size(written),
    publishRecordBytes: size(written.filter((w) => !w.key.startsWith(`blobs/${putBlob}.wasm`))),
    publishKeys: written.map((w) => w.key.replace(putBlob, '<blob>')).sort(),
  };
}

export async function workerdScaleBench(): Promise<Section> {
  const put = bigWasm();
  const putBlob = `sha256-${toHex(await sha256(put))}`;
  const seeded = new Map<number, Seeded>();
  try {
    for (const n of SIZES) seeded.set(n, await seed(n));
    const runs = new Map<number, Run[]>(SIZES.map((n) => [n, []]));
    // Sizes interleaved, the order rotated each round (10, 1,000, 10,000; 1,000, 10,000, 10; ...),
    // so machine noise, and whatever the run before leaves behind, falls on every size.
    const t0 = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      for (const k of SIZES.keys()) {
        const n = SIZES[(k + round) % SIZES.length]!;
        runs.get(n)!.push(await measure(n, seeded.get(n)!, put, putBlob));
      }
    }
    const measuring = (performance.now() - t0) / 1000;

    const latencies = (n: number) => runs.get(n)!.flatMap((r) => r.latencies);
    const mid = (n: number, pick: (r: Run) => number) => median(runs.get(n)!.map(pick));
    const rows: Row[] = [];
    const figure = (
      what: string,
      pick: (n: number) => number,
      format: (v: number) => string,
      goal?: number,
    ): void => {
      const base = pick(SIZES[0]!);
      for (const n of SIZES) {
        const v = pick(n);
        const ratio = v / base;
        rows.push({
          figure: `${what}, ${n.toLocaleString('en-US')} modules`,
          value: format(v),
          baseline: format(base),
          ratio,
          goal: goal === undefined ? 'reported' : `≤ ${goal}× of 10 modules`,
          ...(goal === undefined ? {} : { met: ratio <= goal }),
        });
      }
    };
    figure('`/resolve` wall time, p50', (n) => percentile(latencies(n), 50), ms, GOALS.p50);
    figure('`/resolve` wall time, p99', (n) => percentile(latencies(n), 99), ms, GOALS.p99);
    const hot = (n: number) => runs.get(n)!.flatMap((r) => r.hot);
    figure('`/resolve` p50, the same 10 modules requested at every size', (n) => percentile(hot(n), 50), ms);
    figure('`/resolve` p99, the same 10 modules requested at every size', (n) => percentile(hot(n), 99), ms);
    figure('`/resolve` workerd CPU per request', (n) => mid(n, (r) => r.cpuPerRequest), ms);
    figure('start-up to first `/resolve`', (n) => mid(n, (r) => r.startup), ms, GOALS.startup);
    figure('workerd RSS after the window', (n) => mid(n, (r) => r.rss), mb, GOALS.rss);
    figure(
      'bytes one `PUT` of a new variant writes',
      (n) => mid(n, (r) => r.publishBytes),
      bytes,
      GOALS.publish,
    );
    figure(
      '… of which records (not the blob or its copy)',
      (n) => mid(n, (r) => r.publishRecordBytes),
      bytes,
      GOALS.publish,
    );

    const notes = SIZES.map((n) => {
      const s = seeded.get(n)!;
      const rs = runs.get(n)!;
      const count = latencies(n).length;
      const hits = rs.reduce((a, r) => a + r.cached, 0);
      return (
        `${n.toLocaleString('en-US')} modules: ${bytes(s.recordBytes)} of records, seeded in ${(s.ms / 1000).toFixed(1)} s; ` +
        `${count.toLocaleString('en-US')} \`/resolve\` requests in ${ROUNDS} × ${WINDOW_MS / 1000} s ` +
        `(${((100 * hits) / count).toFixed(0)} % answered from the edge cache), chosen variant \`${rs[0]!.chosen}\`; ` +
        `start-ups ${rs.map((r) => ms(r.startup)).join(', ')}; the PUT wrote ${rs[0]!.publishKeys.join(', ')}.`
      );
    });
    const big = SIZES.at(-1)!;
    const small = SIZES[0]!;
    const p50 = (n: number) => percentile(latencies(n), 50);
    const hotP50 = (n: number) => percentile(hot(n), 50);
    const cpu = (n: number) => mid(n, (r) => r.cpuPerRequest);
    const most = (n: number) => Math.max(...runs.get(n)!.map((r) => r.latencies.length));
    const ratio = (f: (n: number) => number, n: number) => `${(f(n) / f(small)).toFixed(2)}×`;
    const cold = SIZES.filter((n) => n > small);
    const p50Missed = cold.filter((n) => p50(n) > GOALS.p50 * p50(small));
    if (p50Missed.length)
      notes.push(
        `\`/resolve\` p50 (goal missed at ${p50Missed.map((n) => n.toLocaleString('en-US')).join(', ')} modules): ` +
          'the window cycles through every module, and ' +
          cold
            .map((n) =>
              most(n) < n
                ? `at ${n.toLocaleString('en-US')} modules a run makes at most ${most(n)} requests, so each names a module no earlier one did`
                : `at ${n.toLocaleString('en-US')} modules a run makes up to ${most(n)} requests`,
            )
            .join('; ') +
          ': a first request for a module reads its record from R2, hashes, parses and validates it, misses the ' +
          `edge cache (${((100 * runs.get(big)!.reduce((a, r) => a + r.cached, 0)) / latencies(big).length).toFixed(0)} % hits at ` +
          `${big.toLocaleString('en-US')} modules) and stores its answer there; at 10 modules the catalog's record ` +
          'and the edge-cache answer are warm. workerd CPU per request: ' +
          `${cold.map((n) => `${ms(cpu(n))} at ${n.toLocaleString('en-US')}`).join(', ')} against ${ms(cpu(small))}. ` +
          'Measured apart: the same 10 modules (warmed first) answer at p50 ' +
          `${cold.map((n) => `${ms(hotP50(n))} (${ratio(hotP50, n)}) at ${n.toLocaleString('en-US')}`).join(', ')} ` +
          `against ${ms(hotP50(small))}: ` +
          (cold.every((n) => hotP50(n) <= GOALS.p50 * hotP50(small))
            ? `within the goal, so the gap is the working set (first requests), not the number of modules held. `
            : 'most of the gap is the working set (first requests); what remains is the heap and caches the cold ' +
              "window left behind plus this shared machine's noise (not separated here). ") +
          'On Cloudflare the cold path is a real R2 read and a colo cache ' +
          'miss, which this local simulation does not price.',
      );
    const p99 = (n: number) => percentile(latencies(n), 99);
    const hotP99 = (n: number) => percentile(hot(n), 99);
    const p99Missed = SIZES.filter((n) => p99(n) > GOALS.p99 * p99(small));
    if (p99Missed.length)
      notes.push(
        `\`/resolve\` p99 (goal missed at ${p99Missed.map((n) => n.toLocaleString('en-US')).join(', ')} modules): ` +
          'the same first requests as the median; the same 10 modules (warmed first) answer at p99 ' +
          `${cold.map((n) => `${ms(hotP99(n))} (${ratio(hotP99, n)}) at ${n.toLocaleString('en-US')}`).join(', ')} ` +
          `against ${ms(hotP99(small))}.`,
      );
    const startups = (n: number) => runs.get(n)!.map((r) => r.startup);
    const startMissed = cold.filter(
      (n) => mid(n, (r) => r.startup) > GOALS.startup * mid(small, (r) => r.startup),
    );
    if (startMissed.length)
      notes.push(
        `Start-up (goal missed at ${startMissed.map((n) => n.toLocaleString('en-US')).join(', ')} modules): ` +
          `the fastest run of each size took ${SIZES.map((n) => `${ms(Math.min(...startups(n)))} at ${n.toLocaleString('en-US')}`).join(', ')}, ` +
          'while the runs of one size spread over ' +
          `${SIZES.map((n) => `${ms(Math.min(...startups(n)))}–${ms(Math.max(...startups(n)))}`).join(', ')}: ` +
          'on this shared machine (load average ' +
          `${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores at the end) the spread within a size is as large as ` +
          'the gap. Start-up reads no more at 10,000 modules than at 10: the first `/resolve` reads one record ' +
          '(and the legacy manifest key, absent); nothing is listed.',
      );
    notes.push(
      `Time: seeding ${SIZES.map((n) => `${(seeded.get(n)!.ms / 1000).toFixed(1)} s`).join(' + ')} ` +
        `(the local R2 simulator takes about ${ms(seeded.get(big)!.ms / big)} per put, ` +
        `${SEED_CONCURRENCY} at once), measuring ${measuring.toFixed(0)} s.`,
    );
    return {
      title: '6b. Scale on workerd with R2',
      method:
        `miniflare ${COMPATIBILITY_DATE} compatibility date; dist/worker.js (the Worker as built) with a local R2 bucket ` +
        'holding N module records × 6 variants (set, sab-simd, sab, wasi-threads, simd, single; ' +
        `\`${PROFILE}\` chooses \`simd\`), written into the bucket by a small Worker bound to it (no PUT, no ` +
        'blobs: `/resolve` never reads them) and persisted once per size (on /dev/shm where there is one). Each size ' +
        `and round runs a fresh Miniflare on that bucket, which is put back as seeded after the run (${ROUNDS} rounds, ` +
        'sizes interleaved, order rotated each round, samples pooled). ' +
        'Start-up: `new Miniflare()` until the first `/resolve` is answered (workerd started, the bucket opened, ' +
        `the isolate and the app made). \`/resolve\`: sequential \`dispatchFetch\` requests for ${WINDOW_MS / 1000} s ` +
        'cycling through every module (m(k·7919 mod N), as figure 5), wall time including the Node→workerd hop; ' +
        `then ${HOT_WINDOW_MS / 1000} s cycling through m0…m9 only (the same working set at every size). ` +
        "CPU: the workerd process's CPU time (all threads, /proc schedstat) over the first window divided by its " +
        "requests, which includes miniflare's entry Worker and its local R2 and cache simulators, all in the one " +
        'workerd process. RSS: VmRSS of that process after the first window (it holds the R2 simulator, its SQLite ' +
        'and the cache too). Publish: one `PUT /v1/modules/m0/variants/extra` (the ~100 KB wasm) after the windows; ' +
        'bytes are the sizes of the objects that are new or whose R2 version changed, from listing the whole bucket ' +
        "as seeded and after the PUT (once the blob's record lists its gzip copy); a record written twice within " +
        'the PUT counts once. Baseline: the same figure at 10 modules, in the same run.',
      rows,
      notes,
    };
  } finally {
    for (const s of seeded.values()) rmSync(s.dir, { recursive: true, force: true });
  }
}
