/**
 * Figure 5: scale. Manifests of 10, 1,000 and 10,000 modules × 6 variants (written straight into a
 * memory store: selection never reads blobs). Each size runs in its own Node process: start-up of the
 * Node entry to the first `/resolve` answer, RSS, `select()` per call, and `/resolve` latency over
 * several seconds (so the catalog's periodic manifest reload is inside the window).
 */
import { bundleScript } from '../test/harness/bundle.js';
import { startChild } from './child.js';
import { mb, median, ms, type Row, type Section, us } from './stats.js';

const SIZES = [10, 1000, 10_000];
const FLAT = 1.5;
const WINDOW_MS = 4000;
const ROUNDS = 2;

const CHILD = `
import { startServer } from './src/node/serve.ts';
import { nodeEncoders } from './src/node/encoders.ts';
import { MANIFEST_KEY, parseManifest, serializeManifest } from './src/registry/manifest.ts';
import { publish } from './src/registry/publish.ts';
import { memoryStore } from './src/registry/stores/memory.ts';
import { select } from './src/profile/select.ts';
import { bigWasm } from './bench/fixture.ts';

const n = Number(process.argv[2]);
const WINDOW_MS = Number(process.argv[3]);
const CAPS = ['simd', 'bulk-memory'];
// One variant record as publish writes it today (encodings and all), copied for every synthetic variant.
const seed = memoryStore();
await publish(seed, { module: 'seed', variant: 'single', bytes: bigWasm(), version: '1.0.0' }, nodeEncoders);
const manifest = parseManifest(await seed.get(MANIFEST_KEY));
const template = manifest.modules.seed.variants[0];
const blob = (i, k) => 'sha256-' + i.toString(16).padStart(56, '0') + k.toString(16).padStart(8, '0');
const SHAPES = [
  ['set', 'shared-everything', ['set-types', 'set-globals', 'set-functions', 'set-threads', 'threads', 'workers'], ['thread-local-global']],
  ['sab-simd', 'sab', ['shared-memory', 'threads', 'workers', 'simd'], []],
  ['sab', 'sab', ['shared-memory', 'threads', 'workers'], []],
  ['wasi-threads', 'wasi-threads', ['shared-memory', 'threads', 'workers', 'wasi-threads'], []],
  ['simd', 'single', ['simd'], []],
  ['single', 'single', [], []],
];
const modules = {};
for (let i = 0; i < n; i++) {
  modules['m' + i] = {
    version: '1.0.' + i,
    variants: SHAPES.map(([name, model, requires, polyfills], k) => ({
      ...template, name, model, requires, polyfills, blob: blob(i, k),
    })),
  };
}
manifest.modules = modules;
const bytes = serializeManifest(manifest);
const store = memoryStore({ initial: { 'manifest.json': bytes } });
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;

// Start-up: the Node entry validates the manifest, builds the app and listens; the first /resolve loads the catalog.
const name = (k) => 'm' + ((k * 7919) % n);
const t0 = performance.now();
const server = await startServer({ store, port: 0 });
// Connection: close, so the benches below leave no idle keep-alive socket for the server to drop.
const first = await fetch(server.url + '/v1/modules/' + name(1) + '/resolve?caps=' + CAPS.join(','), {
  headers: { connection: 'close' },
});
const firstBody = await first.json();
const startup = performance.now() - t0;
const rss = process.memoryUsage().rss;

// Parse and validate alone (what every catalog reload costs).
const parseRuns = [];
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  parseManifest(bytes);
  parseRuns.push(performance.now() - t);
}

// select() per call, over random modules of the parsed manifest.
const parsed = parseManifest(bytes).modules;
const CALLS = 100000;
const selectRuns = [];
let sink = 0;
for (let r = 0; r < 7; r++) {
  const t = performance.now();
  for (let k = 0; k < CALLS; k++) sink += select(parsed[name(k)].variants, CAPS).rejected.length;
  selectRuns.push(((performance.now() - t) / CALLS) * 1000);
}
// The same walk on one module every time: the algorithm alone, with its data in the CPU caches.
const hot = parsed[name(1)].variants;
const hotRuns = [];
for (let r = 0; r < 7; r++) {
  const t = performance.now();
  for (let k = 0; k < CALLS; k++) sink += select(hot, CAPS).rejected.length;
  hotRuns.push(((performance.now() - t) / CALLS) * 1000);
}

// /resolve over HTTP, one at a time, for a window longer than the catalog's reload interval.
const latencies = [];
const end = performance.now() + WINDOW_MS;
for (let k = 0; performance.now() < end; k++) {
  const t = performance.now();
  const res = await fetch(server.url + '/v1/modules/' + name(k) + '/resolve?caps=' + CAPS.join(','));
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error('resolve answered ' + res.status);
  latencies.push(performance.now() - t);
}
await server.close();
// Exit only once the line is written: a piped stdout is asynchronous, and process.exit() would cut
// a long line short (seen: a 219 KB line of latencies cut mid-number).
process.stdout.write(JSON.stringify({
  manifestBytes: bytes.length, rssBefore, rss, startup, parseRuns, selectRuns, hotRuns, latencies, sink,
  chosen: firstBody.variant,
}) + '\\n', () => process.exit(0));
`;

interface Result {
  manifestBytes: number;
  rssBefore: number;
  rss: number;
  startup: number;
  parseRuns: number[];
  selectRuns: number[];
  hotRuns: number[];
  latencies: number[];
  chosen: string;
}

const med = median;

/** Several runs of one size as one: samples pooled, single figures by median. */
function pool(runs: Result[]): Result {
  const all = <K extends keyof Result>(k: K) => runs.flatMap((r) => r[k] as number[]);
  const mid = (k: 'manifestBytes' | 'rssBefore' | 'rss' | 'startup') => med(runs.map((r) => r[k]));
  return {
    manifestBytes: mid('manifestBytes'),
    rssBefore: mid('rssBefore'),
    rss: mid('rss'),
    startup: mid('startup'),
    parseRuns: all('parseRuns'),
    selectRuns: all('selectRuns'),
    hotRuns: all('hotRuns'),
    latencies: all('latencies'),
    chosen: runs[0]!.chosen,
  };
}

export async function scaleBench(): Promise<Section> {
  const script = await bundleScript(CHILD);
  const runs = new Map<number, Result[]>(SIZES.map((n) => [n, []]));
  // Sizes interleaved (10, 1,000, 10,000, 10, ...), so machine noise falls on every size.
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of SIZES) {
      const child = await startChild<Result>(script, [String(n), String(WINDOW_MS)], 120_000);
      await child.stop();
      runs.get(n)!.push(child.ready);
    }
  }
  const got = new Map([...runs].map(([n, r]) => [n, pool(r)]));
  const base = got.get(SIZES[0]!)!;
  const rows: Row[] = [];
  const figure = (
    what: string,
    pick: (r: Result) => number,
    format: (v: number) => string,
    goal?: number,
  ): void => {
    for (const n of SIZES) {
      const v = pick(got.get(n)!);
      const ratio = v / pick(base);
      rows.push({
        figure: `${what}, ${n.toLocaleString('en-US')} modules`,
        value: format(v),
        baseline: format(pick(base)),
        ratio,
        goal: goal === undefined ? '—' : `flat: ≤ ${goal}× of 10 modules`,
        ...(goal === undefined ? {} : { met: ratio <= goal }),
      });
    }
  };
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  figure('`select()` per call, random modules', (r) => med(r.selectRuns), us, FLAT);
  figure('`select()` per call, one module (cache-hot)', (r) => med(r.hotRuns), us, FLAT);
  figure('`/resolve` over HTTP, median', (r) => med(r.latencies), ms, FLAT);
  figure('`/resolve` over HTTP, mean (reloads included)', (r) => mean(r.latencies), ms);
  figure('`/resolve` over HTTP, slowest', (r) => Math.max(...r.latencies), ms);
  figure('manifest parse + validate', (r) => med(r.parseRuns), ms);
  figure('start-up to first `/resolve`', (r) => r.startup, ms);
  figure('RSS after start-up', (r) => r.rss, mb);

  const notes = SIZES.map((n) => {
    const r = got.get(n)!;
    return (
      `${n.toLocaleString('en-US')} modules: manifest ${mb(r.manifestBytes)} (${r.manifestBytes.toLocaleString('en-US')} B), ` +
      `RSS ${mb(r.rssBefore)} before start-up (manifest generated and stored), ${r.latencies.length.toLocaleString('en-US')} ` +
      `\`/resolve\` requests in ${ROUNDS} × ${WINDOW_MS / 1000} s, chosen variant \`${r.chosen}\`.`
    );
  });
  const big = got.get(SIZES.at(-1)!)!;
  const growth = (pick: (r: Result) => number) => pick(big) / pick(base);
  notes.push(
    "Selection is a walk over one module's 6 variants, the same work at every size. On one cache-hot " +
      `module it costs ${us(med(big.hotRuns))} at 10,000 modules against ${us(med(base.hotRuns))} at 10` +
      (growth((r) => med(r.hotRuns)) <= FLAT
        ? '. '
        : ' (the walk is the same; the process around it is not: at 10,000 modules it holds a heap of ' +
          `${mb(big.rss)} RSS, so the per-call allocations cost more to collect, and this machine is noisy). `) +
      `On random modules it grows ${growth((r) => med(r.selectRuns)).toFixed(1)}× because the manifest's ` +
      `${(SIZES.at(-1)! * 6).toLocaleString('en-US')} variant records and their \`requires\` string arrays no longer ` +
      'fit in the CPU caches: each call chases cold pointers (variant record, its `requires` array, each ' +
      "name's string header) instead of reading warm ones. What would " +
      "flatten it: precompute each variant's requirements as a bitmask in the capability registry's bit order " +
      "(the profile token's bits) when the manifest is loaded, so selection is a few integer ANDs on one small array.",
  );
  notes.push(
    'What grows with the manifest besides: the catalog re-reads, re-parses and re-validates the whole ' +
      'manifest every `manifestTtlMs` (2 s by default), and requests arriving meanwhile wait for it; at ' +
      `10,000 modules one parse + validate takes about ${ms(med(big.parseRuns))}, which shows in the slowest ` +
      'request and the mean; a process holding the parsed manifest (see RSS) also spends more on garbage ' +
      'collection on every request, the likely reason the median moves too. Start-up parses it twice (`startServer` parses it to refuse a bad manifest, and ' +
      "the first request parses it again). Reloading only when the store's manifest changed (an ETag or mtime check), and parsing " +
      'without blocking requests on the old copy, would keep the mean and the tail flat.',
  );
  return {
    title: '5. Scale',
    method:
      `One Node process per size and round (${ROUNDS} rounds, sizes interleaved, samples pooled); manifests of N modules × 6 variants (set, sab-simd, sab, wasi-threads, ` +
      'simd, single; the profile `simd,bulk-memory` rejects four and chooses `simd`) written straight into a ' +
      'memory store. `select()`: median of 7 batches of 100,000 calls, on random modules (the module looked ' +
      'up by name, as a request does) and on one module. `/resolve`: ' +
      `sequential requests to the Node entry (\`startServer\`) on loopback for ${WINDOW_MS / 1000} s, which spans ` +
      "two of the catalog's 2 s reloads. Start-up: `startServer()` until the first `/resolve` is answered. " +
      'Baseline: the same figure at 10 modules, in the same run.',
    rows,
    notes,
  };
}
