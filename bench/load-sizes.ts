/**
 * Figure 8: `load()` at real sizes. Time to a verified instance of a 1, 10 and 30 MB build, in
 * Chromium and in Node 20, against `WebAssembly.instantiateStreaming(fetch(url))` of the same URL.
 * The builds are valid modules written with the repository's wasm builder (a large code section,
 * and a large data segment); weft's Node entry serves them from an fs store.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  type Bytes,
  bigSection,
  body,
  concat,
  dataModule,
  exports,
  func,
  HEADER,
  limits,
  memories,
  op,
  section,
  t,
  types,
  u32,
  vec,
} from '../src/inspect/wasm-builder.js';
import { nodeEncoders } from '../src/node/encoders.js';
import { startServer } from '../src/node/serve.js';
import { publish } from '../src/registry/publish.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { chromiumPath, launchChromium } from '../test/harness/browser.js';
import { startPageServer } from '../test/harness/pages.js';
import { COUNT_FETCHES, runSample } from './child.js';
import { withSdkPage } from './e2e.js';
import { interleave, iqr, median, ms, type Row, type Section } from './stats.js';

const root = new URL('..', import.meta.url).pathname;
const TITLE = '8. load() at real sizes';
const MiB = 1024 * 1024;
const SIZES = [0.1, 1, 10, 30];
/** The goal from 1 MB up; below it, ≤ 1.1× with a cached (or build-time) description. */
const GOAL = 1.05;
const SMALL_GOAL = 1.1;
/**
 * Samples per arm: more below 1 MB, where a sample takes tens of milliseconds and one fetch's
 * jitter on this shared machine is a large part of it (interquartile spreads of 7 to 16 ms on
 * 23 to 90 ms medians with 9; two runs of 15 in Chromium at 149 B put the same load() at 0.97×
 * and 1.30×).
 */
const SAMPLES = { large: 9, small: 31 };
/**
 * A quiet moment before each timed load, in every arm alike: a fresh browser context (or Node
 * process) is still finishing its own start-up work just after the SDK's import, and timing
 * across it measured that work's noise (samples of the same arm spread over ±30 % at 1 MB).
 */
const SETTLE_MS = 200;
// No probe: a fixed profile, so both arms fetch and instantiate the same bytes.
const PROFILE = { host: 'browser', caps: [] };

// The instructions the code generator needs beyond the builder's `op` (text-format names).
const ins = {
  localSet: (x: number): Bytes => [0x21, ...u32(x)],
  i32Mul: [0x6c],
  i32Xor: [0x73],
  i32Store: (align: number, offset: number): Bytes => [0x36, ...u32(align), ...u32(offset)],
  brIf: (depth: number): Bytes => [0x0d, ...u32(depth)],
  call: (f: number): Bytes => [0x10, ...u32(f)],
};

/** xorshift32: the same bytes on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** The builder's encodings of the immediates the generator uses, made once (s32 goes through BigInt). */
const K = 4096;
const cached = {
  get: Array.from({ length: 6 }, (_, l) => op.localGet(l)),
  set: Array.from({ length: 6 }, (_, l) => ins.localSet(l)),
  i32: Array.from({ length: K }, (_, k) => op.i32Const(k)),
  load: Array.from({ length: K }, (_, k) => op.i32Load(2, k * 4)),
  store: Array.from({ length: K }, (_, k) => ins.i32Store(2, k * 4)),
};

/** One statement that leaves the stack as it found it, over locals 0..5 of a `(i32, i32) -> i32`. */
function statement(kind: number, k: number, index: number, l: () => number, callee: () => number): Bytes[] {
  const local = () => cached.get[l()]!;
  const set = () => cached.set[l()]!;
  switch (kind) {
    case 0:
      return [local(), cached.i32[k]!, op.i32Add, set()];
    case 1:
      return [local(), local(), ins.i32Mul, set()];
    case 2:
      return [local(), cached.load[k]!, set()];
    case 3:
      return [local(), local(), cached.store[k]!];
    case 4:
      return [op.block(), local(), ins.brIf(0), local(), cached.i32[k]!, ins.i32Xor, set(), op.end];
    default:
      // A call to an earlier function of the same type (index 0 is `check`).
      return index > 1 ? [local(), local(), ins.call(callee()), set()] : [op.nop];
  }
}

/**
 * About `size` bytes of code: `check() -> i32` (returns `tag`) and then functions `(i32, i32) -> i32`
 * of about 300 bytes each, mixing arithmetic, loads, stores, branches and calls to earlier
 * functions, so that compilation does real work per byte (as a toolchain's output would).
 */
export function codeWasm(size: number, tag: number): Uint8Array {
  const next = rng(size ^ 0x5eed);
  const pick = (n: number) => next() % n;
  const local = () => pick(6);
  const locals = vec([[...u32(4), t.i32]]);
  const first = Uint8Array.from(body([], op.i32Const(tag)));
  const out = new Uint8Array(size + 1024);
  out.set(first);
  let at = first.length;
  let count = 1;
  const scratch = new Uint8Array(512);
  while (at < size - 1024) {
    let n = 0;
    const put = (b: Bytes) => {
      for (let i = 0; i < b.length; i++) scratch[n++] = b[i]!;
    };
    put(locals);
    while (n < 280)
      for (const piece of statement(pick(6), pick(K), count, local, () => 1 + pick(count - 1))) put(piece);
    put(op.localGet(2));
    put(op.end);
    // A body is its size, then its bytes (the builder's `body`, without a number[] per function).
    const prefix = u32(n);
    out.set(prefix, at);
    out.set(scratch.subarray(0, n), at + prefix.length);
    at += prefix.length + n;
    count++;
  }
  const typeOf = Array.from({ length: count }, (_, i) => u32(i === 0 ? 0 : 1));
  return concat(
    HEADER,
    types(func([], [[t.i32]]), func([[t.i32], [t.i32]], [[t.i32]])),
    section(3, vec(typeOf)),
    memories(limits(0x00, 1)),
    exports(['check', 'func', 0]),
    bigSection(10, concat(u32(count), out.subarray(0, at))),
  );
}

/** About `size` bytes, nearly all one active data segment (16-symbol noise: compresses as code does). */
export const dataWasm = (size: number, tag: number): Uint8Array =>
  dataModule(size, tag, 'check', size ^ 0xda7a);

/**
 * `load`: the candidate. `fixed`: the baseline, `instantiateStreaming(fetch(url))`. `pass`: no
 * hashing, only the shape verification gives load() (src/sdk/verify.ts): the body through a
 * `TransformStream` in Chromium, a pulled `ReadableStream` in Node, each giving the event loop a
 * turn every 8 ms, into `instantiateStreaming`, so that what a miss costs can be told apart: the
 * stream, or the hashing and the SDK.
 */
const PASS_SHAPE = {
  Chromium: 'through a TransformStream that only passes it on (a turn every 8 ms)',
  'Node 20': 'through a pulled ReadableStream, one chunk per pull (a turn every 8 ms),',
} as const;
type Arm = 'load' | 'negotiated' | 'fixed' | 'pass';
interface Args {
  arm: Arm;
  server: string;
  name: string;
  manifest: unknown;
  url: string;
  profile: unknown;
  settle: number;
}
interface Sample {
  ms: number;
  check: number;
  /** Requests the arm made while timed, and the bytes of their bodies as received (encoded). */
  requests: number;
  bytes: number;
}

/** Runs in the page: the SDK is already imported (window.sdk); the timer brackets only the load. */
async function timedLoad(a: Args): Promise<Pick<Sample, 'ms' | 'check'>> {
  type Sdk = { load(n: string, o: object): Promise<{ instance?: WebAssembly.Instance }> };
  const sdk = (window as unknown as { sdk: Sdk }).sdk;
  await new Promise((r) => setTimeout(r, a.settle));
  // load()'s shape in browsers, nothing hashed: each chunk passed on, a turn of the event loop every 8 ms.
  let last = performance.now();
  const turning = new TransformStream<Uint8Array, Uint8Array>({
    // A method, not an arrow: tsx names a property's arrow with a helper the page lacks.
    transform(chunk, controller) {
      controller.enqueue(chunk);
      if (performance.now() - last < 8) return undefined;
      return new Promise<void>((r) => {
        const c = new MessageChannel();
        c.port1.onmessage = () => {
          c.port1.close();
          last = performance.now();
          r();
        };
        c.port2.postMessage(undefined);
      });
    },
  });
  const t0 = performance.now();
  const instance =
    a.arm === 'fixed'
      ? (await WebAssembly.instantiateStreaming(fetch(a.url))).instance
      : a.arm === 'pass'
        ? (
            await WebAssembly.instantiateStreaming(
              new Response((await fetch(a.url)).body!.pipeThrough(turning), {
                headers: { 'Content-Type': 'application/wasm' },
              }),
            )
          ).instance
        : a.arm === 'negotiated'
          ? (await sdk.load(a.name, { server: a.server, profile: a.profile })).instance
          : (await sdk.load(a.name, { server: a.server, manifest: a.manifest, profile: a.profile })).instance;
  const elapsed = performance.now() - t0;
  const check = instance?.exports.check as (() => number) | undefined;
  return { ms: elapsed, check: check ? check() : -1 };
}

// Every arm imports the SDK first (withSdkPage): the connection to the server is warm for all.
// Requests are counted from the timed call on (the SDK's import is not one of them).
const chromiumSample = (browser: Browser, page: string, args: Args): Promise<Sample> =>
  withSdkPage(browser, page, args.server, async (tab) => {
    const sizes: Promise<number>[] = [];
    tab.on('requestfinished', (r) => sizes.push(r.sizes().then((s) => s.responseBodySize)));
    const got = await tab.evaluate(timedLoad, args);
    // A request the load did not wait for (the module's record, asked for beside the bytes) may finish just after.
    await new Promise((r) => setTimeout(r, 100));
    const bodies = await Promise.all(sizes);
    return { ...got, requests: bodies.length, bytes: bodies.reduce((n, b) => n + b, 0) };
  });

// A fresh Node process per sample: nothing compiled, fetched or cached by an earlier sample.
const NODE_SAMPLE = `
import { readFileSync } from 'node:fs';
const [sdkUrl, argsPath] = process.argv.slice(2);
const a = JSON.parse(readFileSync(argsPath, 'utf8'));
const sdk = await import(sdkUrl);
${COUNT_FETCHES}
// The shape of load()'s verifying stream in Node (src/sdk/verify.ts), with nothing hashed: one
// chunk per pull, a turn of the event loop every 8 ms.
const pulled = (body) => {
  const reader = body.getReader();
  let last = performance.now();
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      controller.enqueue(value);
      if (performance.now() - last < 8) return;
      await new Promise((r) => setImmediate(r));
      last = performance.now();
    },
  });
};
await new Promise((r) => setTimeout(r, a.settle));
const t0 = performance.now();
const instance =
  a.arm === 'fixed'
    ? (await WebAssembly.instantiateStreaming(fetch(a.url))).instance
    : a.arm === 'pass'
      ? (await WebAssembly.instantiateStreaming(new Response(pulled((await fetch(a.url)).body), { headers: { 'Content-Type': 'application/wasm' } }))).instance
      : a.arm === 'negotiated'
        ? (await sdk.load(a.name, { server: a.server, profile: a.profile })).instance
        : (await sdk.load(a.name, { server: a.server, manifest: a.manifest, profile: a.profile })).instance;
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, check: instance.exports.check(), requests, bytes }));
process.exit(0);
`;

function nodeSample(script: string, argsPath: string): Promise<Sample> {
  const sdk = new URL('dist/sdk.js', `file://${root}`).href;
  return runSample<Sample>(script, [sdk, argsPath]);
}

const signed = (v: number): string => (v < 0 ? `−${ms(-v)}` : `+${ms(v)}`);

interface Build {
  kind: 'code' | 'data';
  mb: number;
  /** What its `check()` answers (an i32: sizes below 1 MB are not whole numbers). */
  tag: number;
  name: string;
  size: number;
  url: string;
  manifest: unknown;
}

// The code builds at every size; the data build (compiles in no time: the download and the hash
// are all there is) at the largest only, where the hashing shows most.
const BUILDS = [
  // The size of the demo's build: what start-up work costs where the bytes cost nothing.
  { kind: 'data' as const, mb: 161 / MiB, tag: 199 },
  ...SIZES.map((mb, i) => ({ kind: 'code' as const, mb, tag: 100 + i })),
  { kind: 'data' as const, mb: SIZES.at(-1)!, tag: 200 },
];

export async function loadSizesBench(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-load-'));
  const store = fsStore({ dir: join(dir, 'store') });
  const t0 = performance.now();
  const published: Omit<Build, 'url' | 'manifest'>[] = [];
  for (const { kind, mb, tag } of BUILDS) {
    const size = Math.round(mb * MiB);
    const name = `${kind}-${size < 1024 ? `${size}b` : `${mb}mb`}`;
    const bytes = kind === 'code' ? codeWasm(size, tag) : dataWasm(size, tag);
    await publish(store, { module: name, variant: 'single', bytes, version: '1.0.0' }, nodeEncoders);
    published.push({ kind, mb, tag, name, size: bytes.length });
  }
  const setup = (performance.now() - t0) / 1000;
  const server = await startServer({ store, port: 0 });
  const pages = await startPageServer({
    '/load.html': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>load</title>' },
  });
  const browser = chromiumPath() ? await launchChromium() : undefined;
  const script = join(dir, 'sample.mjs');
  writeFileSync(script, NODE_SAMPLE);
  const rows: Row[] = [];
  const notes: string[] = [];
  const ways: string[] = [];
  try {
    if ((await fetch(`${server.url}/v1/sdk.js`)).status !== 200)
      throw new Error('the server has no /v1/sdk.js: run `node scripts/build.mjs` first');
    const builds: Build[] = [];
    for (const b of published) {
      const manifest = (await (await fetch(`${server.url}/v1/modules/${b.name}`)).json()) as {
        variants: { name: string; url: string }[];
      };
      builds.push({ ...b, manifest, url: manifest.variants.find((v) => v.name === 'single')!.url });
    }
    const engines = browser ? (['Chromium', 'Node 20'] as const) : (['Node 20'] as const);
    for (const engine of engines)
      for (const b of builds) {
        const arms: Arm[] =
          b.mb === SIZES.at(-1) ? ['load', 'fixed', 'negotiated', 'pass'] : ['load', 'fixed', 'negotiated'];
        const args = (arm: Arm): Args => ({
          arm,
          server: server.url,
          name: b.name,
          manifest: b.manifest,
          url: b.url,
          profile: { ...PROFILE, host: engine === 'Chromium' ? 'browser' : 'node' },
          settle: SETTLE_MS,
        });
        const run = (arm: Arm) => {
          if (browser && engine === 'Chromium')
            return chromiumSample(browser, `${pages.origin}/isolated/load.html`, args(arm));
          const path = join(dir, `${b.name}-${arm}.json`);
          writeFileSync(path, JSON.stringify(args(arm)));
          return nodeSample(script, path);
        };
        const n = b.mb < 1 ? SAMPLES.small : SAMPLES.large;
        const got = await interleave(
          n,
          arms.map((arm) => () => run(arm)),
        );
        const [cand, base, negotiated, pass] = got as [Sample[], Sample[], Sample[], Sample[] | undefined];
        const wrong = got.flat().filter((s) => s.check !== b.tag).length;
        if (wrong) notes.push(`${engine}, ${b.name}: ${wrong} samples ended with the wrong instance.`);
        const c = median(cand.map((s) => s.ms));
        const f = median(base.map((s) => s.ms));
        const label =
          b.size < 1024
            ? `${engine}: ${b.kind} ${b.size} B`
            : `${engine}: ${b.kind} ${b.mb} MB (${b.size.toLocaleString('en-US')} B)`;
        const goal = b.mb >= 1 ? GOAL : SMALL_GOAL;
        const traffic = (arm: Sample[]) => {
          const last = arm.at(-1)!;
          return `${last.requests} request${last.requests === 1 ? '' : 's'}, ${last.bytes.toLocaleString('en-US')} B`;
        };
        rows.push({
          figure: `${label}: time to verified instance, cached description (${traffic(cand)})`,
          value: ms(c),
          baseline: ms(f),
          ratio: c / f,
          goal: `≤ ${goal}×`,
          met: c / f <= goal,
        });
        const n0 = median(negotiated.map((s) => s.ms));
        rows.push({
          figure: `${label}: time to verified instance, negotiated (${traffic(negotiated)})`,
          value: ms(n0),
          baseline: ms(f),
          ratio: n0 / f,
          ...(b.mb >= 1 ? { goal: `≤ ${GOAL}×`, met: n0 / f <= GOAL } : { goal: '—' }),
        });
        const spread = Math.max(iqr(cand.map((s) => s.ms)), iqr(base.map((s) => s.ms)));
        let note = `${label}: the baseline made ${traffic(base)}; interquartile spread ${ms(iqr(cand.map((s) => s.ms)))} (load), ${ms(iqr(negotiated.map((s) => s.ms)))} (negotiated) and ${ms(iqr(base.map((s) => s.ms)))} (baseline)`;
        if (pass) {
          const x = median(pass.map((s) => s.ms));
          rows.push({
            figure: `${label}: the body ${PASS_SHAPE[engine]} into instantiateStreaming (no hashing)`,
            value: ms(x),
            baseline: ms(f),
            ratio: x / f,
            goal: '—',
          });
          note += `, ${ms(iqr(pass.map((s) => s.ms)))} (passed through)`;
          if (c / f > goal)
            ways.push(
              `${label}: load() takes ${ms(c - f)} more than the baseline. Passing the body through a stream ` +
                `without hashing it took ${ms(x)} (${signed(x - f)} against the baseline): that is the shape ` +
                `verifying as it streams gives. The remaining ${ms(c - x)} is the hashing (` +
                (engine === 'Chromium'
                  ? 'each 1 MiB piece copied and given to `crypto.subtle.digest`'
                  : 'node:crypto over each 1 MiB piece, hashing views of the chunks') +
                ', on the cores the streaming compiler also uses) and the SDK itself.',
            );
        } else if (c / f > goal && c - f <= spread)
          ways.push(
            `${label}: load() is ${ms(c - f)} slower, less than the interquartile spread of its samples ` +
              `(${ms(spread)}): on this shared machine the difference is within the noise of ${n} samples.`,
          );
        else if (c / f > goal)
          ways.push(`${label}: load() is ${ms(c - f)} slower, beyond the samples' spread (${ms(spread)}).`);
        notes.push(`${note}.`);
      }
  } finally {
    await browser?.close();
    await pages.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (ways.length) notes.push(`What stands in the way: ${ways.join(' ')}`);
  notes.push(
    `Setup: writing and publishing the ${published.length} builds (inspection, brotli and gzip copies) took ${setup.toFixed(0)} s.`,
  );
  return {
    title: TITLE,
    method:
      `Median of ${SAMPLES.large} samples per arm from 1 MB up and ${SAMPLES.small} below it, in Chromium and in Node 20, arms interleaved. ` +
      'Builds written with src/inspect/wasm-builder.ts: `code` is a code section of ~300-byte functions ' +
      '(arithmetic, loads, stores, branches, calls), `data` one data segment of 16-symbol noise; published to an ' +
      'fs store (brotli and gzip copies, as `weft publish` makes them) and served by `startServer`. ' +
      'Candidates: `load(name, { server, manifest, profile })` (the cached description, fetched beforehand; ' +
      'profile given, so no probe), and `load(name, { server, profile })` (negotiated: the server chooses and ' +
      'sends the bytes, the record asked for beside them); both verify the SHA-256 before they instantiate ' +
      '(a build of at most 1 MiB read whole, checked and compiled from the checked bytes; a larger one checked as it ' +
      'streams into `instantiateStreaming`, piece by piece). ' +
      'Requests and bytes: those of the last sample, counted from the timed call on (Chromium: every request ' +
      "the page finished, with its body's size as received; Node: every `fetch`, with its Content-Length). " +
      'Goals: ≤ 1.05× from 1 MB up; below it ≤ 1.1× with a cached description. Baseline: `WebAssembly.instantiateStreaming(' +
      'fetch(url))` of the same blob URL, unverified. Chromium: a fresh browser context per sample (empty HTTP ' +
      'and code caches) on a cross-origin-isolated page of another origin, the SDK imported from `/v1/sdk.js` ' +
      'before the timer; Node: a fresh `node` process per sample, the SDK (dist/sdk.js) imported before the ' +
      'timer. Both time with `performance.now()` until an instance exists and check its `check()` export. At ' +
      `${SIZES.at(-1)} MB a fourth arm, the body passed into instantiateStreaming through the stream load() uses, without hashing ` +
      `(Chromium: a TransformStream; Node: a pulled ReadableStream; each a turn of the event loop every 8 ms), splits any gap. ` +
      `Every arm waits ${SETTLE_MS} ms after the SDK's import before its timer starts (a fresh context finishes its start-up meanwhile).`,
    rows,
    notes,
  };
}
