/**
 * Figure 3: throughput and latency on loopback of the Node entry (startServer on an fs store)
 * answering a negotiated `/wasm` of a ~100 KB variant and `/resolve`, against a bare `node:http`
 * server answering the same bytes. Each server runs in its own process; autocannon runs here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { bundleScript } from '../test/harness/bundle.js';
import { type Child, EXIT_WITH_PARENT, startChild } from './child.js';
import { bigWasm } from './fixture.js';
import { interleave, median, ms, perSecond, type Row, type Section, times } from './stats.js';

const root = new URL('..', import.meta.url).pathname;
const CONNECTIONS = 50;
const SECONDS = 4;
const ROUNDS = 3;
const PROFILE = 'caps=simd,bulk-memory';

const WEFT = `
import { readFileSync } from 'node:fs';
import { startServer } from './src/node/serve.ts';
import { nodeEncoders } from './src/node/encoders.ts';
import { publish } from './src/registry/publish.ts';
import { fsStore } from './src/registry/stores/fs.ts';
const [dir, big, sab, set] = process.argv.slice(2);
const store = fsStore({ dir });
// Least capable first, as the demo seeding does: placement keeps preference order (set, sab, single).
for (const [variant, file] of [['single', big], ['sab', sab], ['set', set]])
  // Versions are immutable: the last variant's publish makes 1.0.0 (the others make 0.0.0, 0.0.0+1).
  await publish(store, { module: 'big', variant, bytes: readFileSync(file), ...(variant === 'set' ? { version: '1.0.0' } : {}) }, nodeEncoders);
const server = await startServer({ store, port: 0 });
console.log(JSON.stringify({ url: server.url }));
${EXIT_WITH_PARENT}`;

const BARE = `
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
const wasm = readFileSync(process.argv[2]);
const json = readFileSync(process.argv[3]);
const server = createServer((req, res) => {
  const [type, body] = req.url.includes('/wasm') ? ['application/wasm', wasm] : ['application/json', json];
  res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + server.address().port })));
${EXIT_WITH_PARENT}`;

// The framework weft is built on, with nothing of weft: the floor for any Hono app on Node.
const HONO = `
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
const wasm = readFileSync(process.argv[2]);
const json = readFileSync(process.argv[3], 'utf8');
const app = new Hono();
app.get('/wasm', (c) => c.body(wasm, 200, { 'content-type': 'application/wasm' }));
app.get('/resolve', (c) => c.body(json, 200, { 'content-type': 'application/json' }));
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
  console.log(JSON.stringify({ url: 'http://127.0.0.1:' + info.port })));
${EXIT_WITH_PARENT}`;

// weft's own app (its middleware: URL guard, isolation headers, CORS, CORP) with one extra route
// answering the same bytes: weft's per-request cost without the store, selection and blob checks.
const STACK = `
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { createApp } from './src/server/app.ts';
const wasm = readFileSync(process.argv[2]);
const json = readFileSync(process.argv[3], 'utf8');
const app = createApp();
app.get('/v1/fixed/wasm', (c) => c.body(wasm, 200, { 'content-type': 'application/wasm' }));
app.get('/v1/fixed/resolve', (c) => c.body(json, 200, { 'content-type': 'application/json' }));
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
  console.log(JSON.stringify({ url: 'http://127.0.0.1:' + info.port + '/v1/fixed' })));
${EXIT_WITH_PARENT}`;

interface Run {
  rps: number;
  p50: number;
  p99: number;
  bad: number;
}

async function cannon(url: string, seconds: number): Promise<Run> {
  const r: Result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, timeout: 10 });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    bad: r.errors + r.non2xx + r.timeouts,
  };
}

const pick = (runs: Run[], k: keyof Run) => median(runs.map((r) => r[k]));

interface Arms {
  weft: Run[];
  bare: Run[];
  hono: Run[];
  stack: Run[];
}

function rows(route: string, goal: number, got: Arms): Row[] {
  const rps = pick(got.weft, 'rps') / pick(got.bare, 'rps');
  const reference = (what: string, runs: Run[]): Row => ({
    figure: `${route}: requests/s of ${what} (reference)`,
    value: perSecond(pick(runs, 'rps')),
    baseline: perSecond(pick(got.bare, 'rps')),
    ratio: pick(runs, 'rps') / pick(got.bare, 'rps'),
    goal: '—',
  });
  return [
    {
      figure: `${route}: requests/s`,
      value: perSecond(pick(got.weft, 'rps')),
      baseline: perSecond(pick(got.bare, 'rps')),
      ratio: rps,
      goal: `≥ ${goal.toFixed(2)}× bare`,
      met: rps >= goal,
    },
    ...(['p50', 'p99'] as const).map((k) => ({
      figure: `${route}: latency ${k}`,
      value: ms(pick(got.weft, k)),
      baseline: ms(pick(got.bare, k)),
      ratio: pick(got.weft, k) / pick(got.bare, k),
      goal: 'reported',
    })),
    reference('the Hono floor', got.hono),
    reference("weft's middleware stack", got.stack),
  ];
}

export async function serverBench(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-server-'));
  const children: Child<{ url: string }>[] = [];
  const child = async (source: string, args: string[]) => {
    const c = await startChild<{ url: string }>(await bundleScript(source), args);
    children.push(c);
    return c.ready.url;
  };
  try {
    const big = bigWasm();
    writeFileSync(join(dir, 'big.wasm'), big);
    const weft = await child(WEFT, [
      join(dir, 'store'),
      join(dir, 'big.wasm'),
      join(root, 'fixtures/demo/sab.wasm'),
      join(root, 'fixtures/demo/set.wasm'),
    ]);
    const wasmUrl = `${weft}/v1/modules/big/wasm?${PROFILE}`;
    const resolveUrl = `${weft}/v1/modules/big/resolve?${PROFILE}`;

    // The other servers answer exactly what weft answers: the chosen variant's bytes, and the /resolve JSON.
    const answer = await fetch(wasmUrl);
    const served = new Uint8Array(await answer.arrayBuffer());
    const variant = answer.headers.get('Wasm-Variant');
    if (variant !== 'single' || Buffer.compare(served, big) !== 0)
      throw new Error(`weft did not negotiate the ~100 KB single variant (got ${variant})`);
    const resolved = await (await fetch(resolveUrl)).text();
    writeFileSync(join(dir, 'resolve.json'), resolved);
    const same = [join(dir, 'big.wasm'), join(dir, 'resolve.json')];
    const others = {
      bare: await child(BARE, same),
      hono: await child(HONO, same),
      stack: await child(STACK, same),
    };
    for (const base of Object.values(others)) {
      if ((await (await fetch(`${base}/resolve`)).text()) !== resolved)
        throw new Error(`${base} does not answer the same /resolve bytes`);
    }
    // Repeated, /resolve is answered by the Node entry's answer cache: how many header bytes each server sends.
    const headerBytes = (h: Headers) => [...h].reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    const repeated = await fetch(resolveUrl);
    await repeated.arrayBuffer();
    const bareAnswer = await fetch(`${others.bare}/resolve`);
    await bareAnswer.arrayBuffer();
    const resolveHeaders = { weft: headerBytes(repeated.headers), bare: headerBytes(bareAnswer.headers) };
    const fromCache = repeated.headers.get('weft-cache') === 'hit';

    const routes = [
      {
        route: `\`/wasm\` (${big.length.toLocaleString('en-US')} B, negotiated)`,
        goal: 0.9,
        weft: wasmUrl,
        path: '/wasm',
      },
      { route: '`/resolve`', goal: 0.85, weft: resolveUrl, path: '/resolve' },
    ];
    const out: Row[] = [];
    const shares: string[] = [];
    const causes: string[] = [];
    let bad = 0;
    for (const r of routes) {
      const urls = [r.weft, ...Object.values(others).map((base) => `${base}${r.path}`)];
      for (const url of urls) await cannon(url, 1);
      const [weftRuns, bare, hono, stack] = (await interleave(
        ROUNDS,
        urls.map((url) => () => cannon(url, SECONDS)),
      )) as [Run[], Run[], Run[], Run[]];
      bad += [weftRuns, bare, hono, stack].flat().reduce((n, x) => n + x.bad, 0);
      out.push(...rows(r.route, r.goal, { weft: weftRuns, bare, hono, stack }));
      const rps = (runs: Run[]) => pick(runs, 'rps');
      shares.push(
        `${r.path}: Hono floor ${times(rps(hono) / rps(bare))} of bare, weft's middleware stack ` +
          `${times(rps(stack) / rps(hono))} of the floor, weft's route (store, selection, blob checks) ` +
          `${times(rps(weftRuns) / rps(stack))} of its stack`,
      );
      // Name only the steps that lose more than the noise here allows, in what this run measured.
      if (rps(weftRuns) / rps(bare) >= r.goal) continue;
      if (r.path === '/resolve' && fromCache) {
        causes.push(
          "/resolve: a repeated request is answered by the Node entry's answer cache (src/node/answer-cache.ts) " +
            'straight from node:http, so the Hono and middleware steps above do not apply to it. What it does ' +
            "beyond bare node:http: it checks the module's record is still the one the answer was made from " +
            '(a map lookup and the change-token rule), counts the answer in the statistics, and sends the ' +
            `headers every weft answer carries (${resolveHeaders.weft} B of headers: CORS, CORP, the exposed ` +
            `names, Cache-Control, Vary, the profile source and the variant, against ${resolveHeaders.bare} B ` +
            'from the bare server), which node:http writes and autocannon, on the same 2 cores, parses.',
        );
        continue;
      }
      const STEP = 0.85;
      const before = causes.length;
      if (rps(hono) / rps(bare) < STEP)
        causes.push(
          `${r.path}: the Hono floor itself is ${times(rps(hono) / rps(bare))} of bare node:http; the framework ` +
            'and its adapter cost that much before weft adds anything.',
        );
      if (rps(stack) / rps(hono) < STEP)
        causes.push(
          `${r.path}: weft's middleware (src/server/app.ts) keeps ${times(rps(stack) / rps(hono))} of the floor. ` +
            'Per request it checks the URL length, matches the isolation paths and sets CORS and CORP headers ' +
            'on every /v1 answer. Headers changed on a finished Response (after `await next()`, or through ' +
            '`c.res.headers` as hono/cors does) cost far more on Node: Hono copies the whole Response into a new ' +
            'one with undici `Headers`.',
        );
      if (rps(weftRuns) / rps(stack) < STEP)
        causes.push(
          r.path === '/resolve'
            ? `/resolve: weft's route keeps ${times(rps(weftRuns) / rps(stack))} of its own middleware stack. Per ` +
                'request it looks the module up in the catalog, parses the profile, selects, describes the chosen ' +
                'variant afresh (an absolute URL through `new URL`, the SRI integrity converted from the hex ' +
                'content address through a regex and base64) and serialises the JSON answer; the reference answers ' +
                "a fixed string. Deriving each variant's URL path and integrity once, when the catalog loads, " +
                'would leave selection and serialisation.'
            : `${r.path}: weft's route keeps ${times(rps(weftRuns) / rps(stack))} of its own middleware stack. ` +
                'Per request it looks the module up, selects, and answers the blob through the store (from its ' +
                'in-memory cache of verified blobs when it has one, else read and hashed) with ETag, ' +
                'Content-Digest and Link headers; the reference answers a buffer it holds.',
        );
      if (causes.length === before)
        causes.push(
          `${r.path}: no single step loses more than 15%; the small losses of each add up (see the steps above), ` +
            'and differences of a few percent are within the run-to-run noise of this machine.',
        );
    }
    const missed = out.filter((r) => r.met === false);
    const notes = [
      `Where the requests/s go, step by step: ${shares.join('; ')}.`,
      `Errors, timeouts and non-2xx answers over all runs: ${bad}.`,
      "autocannon (one thread, this process) and the server under test share the machine's 2 cores, so a " +
        'fast baseline may be bounded by the load generator rather than by node:http; the ratio then ' +
        "understates weft's own cost. Latencies at 50 connections are mostly queueing.",
      `Request: \`GET /v1/modules/big/wasm?${PROFILE}\` (variants set, sab, single; set and sab are rejected), ` +
        'no Accept-Encoding, so every server sends the identity bytes.',
    ];
    if (missed.length)
      notes.push(
        causes.length
          ? `What stands in the way, from the steps above: ${causes.join(' ')}`
          : 'What stands in the way: see the steps above.',
      );
    return {
      title: '3. Server throughput and latency (Node entry, loopback)',
      method:
        `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} runs per server interleaved ` +
        "(after a 1 s warm-up each), on 127.0.0.1; medians over runs of each run's average requests/s and " +
        'its p50/p99 latency. Candidate: `startServer` (the Node entry: @hono/node-server, fs store, ' +
        'publish-time gzip and brotli) in its own process. Baseline: bare `node:http` in its own process, ' +
        'answering the same bytes from memory with a content-type. References, each in its own process and ' +
        'answering the same bytes from memory: the Hono floor (a one-route Hono app on @hono/node-server) and ' +
        "weft's middleware stack (`createApp()` plus one route answering fixed bytes).",
      rows: out,
      notes,
    };
  } finally {
    for (const c of children) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
