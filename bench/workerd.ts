/**
 * Figure 6: cost per negotiated request inside workerd. The built Worker (dist/worker.js) runs in
 * miniflare's workerd with a local R2 bucket, seeded through `PUT` with the publish token; a bare
 * Worker answering the same bytes runs in a second workerd. workerd gives a Worker no CPU clock
 * (its timers stand still while code runs), so CPU time is read from outside: the workerd
 * process's own CPU time (all its threads, /proc/<pid>/task/<tid>/schedstat) over a batch of
 * requests, divided by the batch size.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { bigWasm } from './fixture.js';
import { cpuMs, workerdChildren } from './proc.js';
import { interleave, median, ms, type Row, type Section } from './stats.js';

const root = new URL('..', import.meta.url).pathname;
const TOKEN = 'bench-token-0123456789';
const BATCH = 300;
const ROUNDS = 5;
const PROFILE = 'caps=simd,bulk-memory';
// wrangler.toml's date: the workerd that the pinned miniflare brings refuses later ones.
const COMPATIBILITY_DATE = '2026-05-03';

// The least a Worker can do: the same bytes from memory (seeded by PUT), or the wasm from R2.
const BARE = `
const held = {};
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (request.method === 'PUT') {
      const bytes = new Uint8Array(await request.arrayBuffer());
      held[path] = bytes;
      await env.BUCKET.put(path.slice(1), bytes);
      return new Response('ok');
    }
    if (path === '/wasm-r2') {
      const object = await env.BUCKET.get('wasm');
      return new Response(object.body, { headers: { 'content-type': 'application/wasm' } });
    }
    const type = path === '/wasm' ? 'application/wasm' : 'application/json';
    return new Response(held[path], { headers: { 'content-type': type } });
  },
};`;

async function start(
  options: ConstructorParameters<typeof Miniflare>[0],
): Promise<{ mf: Miniflare; pid: number }> {
  const before = workerdChildren();
  const mf = new Miniflare(options);
  await mf.ready;
  const pid = [...workerdChildren()].find((p) => !before.has(p));
  if (pid === undefined) {
    await mf.dispose();
    throw new Error('could not find the workerd process miniflare started');
  }
  return { mf, pid };
}

interface Batch {
  cpu: number;
  wall: number;
}

export async function workerdBench(): Promise<Section> {
  const big = bigWasm();
  const weft = await start({
    modules: true,
    scriptPath: join(root, 'dist/worker.js'),
    compatibilityDate: COMPATIBILITY_DATE,
    r2Buckets: ['WEFT_BUCKET'],
    bindings: { WEFT_PUBLISH_TOKEN: TOKEN },
  });
  let bare: Awaited<ReturnType<typeof start>> | undefined;
  try {
    bare = await start({
      modules: true,
      script: BARE,
      compatibilityDate: COMPATIBILITY_DATE,
      r2Buckets: ['BUCKET'],
    });
    const W = 'http://weft.test';
    for (const [variant, bytes] of [
      ['single', big],
      ['sab', readFileSync(join(root, 'fixtures/demo/sab.wasm'))],
      ['set', readFileSync(join(root, 'fixtures/demo/set.wasm'))],
    ] as const) {
      const res = await weft.mf.dispatchFetch(`${W}/v1/modules/big/variants/${variant}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: bytes,
      });
      if (res.status !== 201) throw new Error(`PUT ${variant} answered ${res.status}: ${await res.text()}`);
    }
    // Identity only: workerd would otherwise gzip each answer itself (Cloudflare does that at its edge).
    const headers = { 'accept-encoding': 'identity' };
    const wasm = await weft.mf.dispatchFetch(`${W}/v1/modules/big/wasm?${PROFILE}`, { headers });
    const served = new Uint8Array(await wasm.arrayBuffer());
    if (wasm.headers.get('wasm-variant') !== 'single' || Buffer.compare(served, big) !== 0)
      throw new Error(
        `workerd did not negotiate the ~100 KB single variant (${wasm.headers.get('wasm-variant')})`,
      );
    const resolved = await (
      await weft.mf.dispatchFetch(`${W}/v1/modules/big/resolve?${PROFILE}`, { headers })
    ).text();
    const B = 'http://bare.test';
    await bare.mf.dispatchFetch(`${B}/wasm`, { method: 'PUT', body: big });
    await bare.mf.dispatchFetch(`${B}/resolve`, { method: 'PUT', body: resolved });
    if ((await (await bare.mf.dispatchFetch(`${B}/resolve`)).text()) !== resolved)
      throw new Error('the bare worker does not answer the same /resolve bytes');

    const batch = (target: { mf: Miniflare; pid: number }, url: string) => async (): Promise<Batch> => {
      const cpu0 = cpuMs(target.pid);
      const t0 = performance.now();
      for (let i = 0; i < BATCH; i++) {
        const res = await target.mf.dispatchFetch(url, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
      }
      return { cpu: (cpuMs(target.pid) - cpu0) / BATCH, wall: (performance.now() - t0) / BATCH };
    };
    const arms = {
      wasm: batch(weft, `${W}/v1/modules/big/wasm?${PROFILE}`),
      bareWasm: batch(bare, `${B}/wasm`),
      bareR2: batch(bare, `${B}/wasm-r2`),
      resolve: batch(weft, `${W}/v1/modules/big/resolve?${PROFILE}`),
      bareResolve: batch(bare, `${B}/resolve`),
    };
    for (const arm of Object.values(arms)) await arm();
    const [wasmRuns, bareWasm, bareR2, resolveRuns, bareResolve] = (await interleave(
      ROUNDS,
      Object.values(arms),
    )) as Batch[][] as [Batch[], Batch[], Batch[], Batch[], Batch[]];

    const cpu = (xs: Batch[]) => median(xs.map((x) => x.cpu));
    const wall = (xs: Batch[]) => median(xs.map((x) => x.wall));
    const row = (figure: string, a: Batch[], b: Batch[], pick: (xs: Batch[]) => number): Row => ({
      figure,
      value: ms(pick(a)),
      baseline: ms(pick(b)),
      ratio: pick(a) / pick(b),
      goal: 'reported',
    });
    const rows: Row[] = [
      row('`/wasm` (~100 KB, negotiated): workerd CPU per request', wasmRuns, bareWasm, cpu),
      row('`/wasm`: workerd CPU per request vs a bare Worker reading R2', wasmRuns, bareR2, cpu),
      row('`/wasm`: wall time per request (via dispatchFetch)', wasmRuns, bareWasm, wall),
      row('`/resolve`: workerd CPU per request', resolveRuns, bareResolve, cpu),
      row('`/resolve`: wall time per request (via dispatchFetch)', resolveRuns, bareResolve, wall),
    ];
    return {
      title: '6. workerd',
      method:
        `miniflare ${COMPATIBILITY_DATE} compatibility date; dist/worker.js (the Worker as built) with a local R2 ` +
        `bucket, seeded by \`PUT /v1/modules/big/variants/*\` with the publish token (variants set, sab and the ` +
        `~100 KB single; \`${PROFILE}\` selects single). ${ROUNDS} interleaved batches of ${BATCH} sequential ` +
        'requests per arm through `dispatchFetch`, `Accept-Encoding: identity`; medians over batches. ' +
        "**What is measured:** the workerd process's CPU time (every thread, from /proc schedstat) over a " +
        "batch divided by its requests. That is more than the Worker's own CPU time, which workerd does not " +
        "expose locally: it includes workerd's HTTP handling, miniflare's routing entry Worker and, where R2 is " +
        "read, miniflare's local R2 simulator (both arms alike). Baseline: a bare Worker in its own workerd " +
        'answering the same bytes from memory; reference: the same bare Worker streaming the wasm from R2. ' +
        'Wall time includes the Node→workerd hop of `dispatchFetch`.',
      rows,
      notes: [
        "No goal is set for this figure. An estimate of the Worker's own CPU per request is the difference " +
          `over the bare Worker answering from memory: ${ms(cpu(wasmRuns) - cpu(bareWasm))} for \`/wasm\`, ` +
          `${ms(cpu(resolveRuns) - cpu(bareResolve))} for \`/resolve\` (differences this small are within the noise ` +
          `of a shared machine). Streaming the ~100 KB from the local R2 costs the bare Worker ` +
          `${ms(cpu(bareR2) - cpu(bareWasm))} more than answering from memory` +
          (cpu(wasmRuns) < cpu(bareR2)
            ? "; weft's `/wasm` costs less than that, so after the first request it does not read the blob from R2 " +
              'each time (it keeps verified blobs in memory).'
            : "; weft's `/wasm` costs at least that: it reads (and verifies) the blob from R2 on every request."),
      ],
    };
  } finally {
    await bare?.mf.dispose();
    await weft.mf.dispose();
  }
}
