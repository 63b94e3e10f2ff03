import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { builtWorker } from './harness/built-worker.js';

const _root = new URL('..', import.meta.url).pathname;
const TOKEN = 'auth-limit-token-0123456789';

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;
let mf: Miniflare | undefined;
const workers: Record<string, Fetch> = {};

beforeAll(async () => {
  const worker = (name: string, extra: Record<string, unknown> = {}) =>
    builtWorker(name, TOKEN, { r2Buckets: { WEFT_BUCKET: `bucket-${name}` }, ...extra });
  const simple = { simple: { limit: 3, period: 60 } };
  const shared = { serviceBindings: { WEFT_AUTH_LIMIT: { name: 'limiter', entrypoint: 'Limiter' } } };
  mf = new Miniflare({
    workers: [
      worker('solo', { ratelimits: { WEFT_AUTH_LIMIT: simple } }),
      worker('a', shared),
      worker('b', shared),
      worker('c'),
      worker('d'),
      {
        name: 'limiter',
        modules: true,
        compatibilityDate: builtWorker('limiter', TOKEN).compatibilityDate,
        ratelimits: { RL: simple },
        // Counts the outcomes it gave, so that the test can wait for a failure's count to land.
        script: `import { WorkerEntrypoint } from 'cloudflare:workers';
let counted = 0;
export class Limiter extends WorkerEntrypoint {
  async limit(options) { const outcome = await this.env.RL.limit(options); counted++; return outcome; }
}
export default { fetch: () => new Response(String(counted)) };`,
      },
    ],
  });
  await mf.ready;
  for (const name of ['solo', 'a', 'b', 'c', 'd', 'limiter']) {
    const fetcher = (await mf.getWorker(name)) as unknown as { fetch: Fetch };
    workers[name] = (path, init) => fetcher.fetch(`http://weft.test${path}`, init);
  }
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
});

/** `POST /v1/gc` (a dry run) from a client address with a token: its status. */
async function login(via: Fetch, ip: string, token: string): Promise<number> {
  const res = await via('/v1/gc', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'cf-connecting-ip': ip },
    body: '{"dryRun":true}',
  });
  await res.arrayBuffer();
  return res.status;
}

const pause = () => new Promise((r) => setTimeout(r, 25));
const PATIENCE_MS = 10_000;

/**
 * A failure is counted after its 401 is sent (the request's waitUntil), and a refusal follows once
 * its outcome is back in the isolate: `want` from `ask`, asked again until it comes (or the last
 * answer, after PATIENCE_MS). Asking with the right token counts nothing.
 */
async function eventually(ask: () => Promise<number>, want: number): Promise<number> {
  const until = Date.now() + PATIENCE_MS;
  let got = await ask();
  while (got !== want && Date.now() < until) {
    await pause();
    got = await ask();
  }
  return got;
}

/** Waits until the shared limiter has given `n` outcomes: the failures are counted in the order made. */
async function counted(n: number): Promise<void> {
  const count = async () => Number(await (await workers.limiter!('/')).text());
  const until = Date.now() + PATIENCE_MS;
  while ((await count()) < n && Date.now() < until) await pause();
  expect(await count()).toBe(n);
}

it("refuses a client once the binding's limit is reached, before the isolate's own 10", async () => {
  const solo = workers.solo!;
  const ip = '203.0.113.6';
  // One isolate: its calls to the binding are made in order; within the limit, nothing refuses.
  for (let i = 0; i < 3; i++) expect(await login(solo, ip, 'wrong')).toBe(401);
  expect(await login(solo, ip, TOKEN)).toBe(200);
  expect(await login(solo, ip, 'wrong')).toBe(401);
  expect(await eventually(() => login(solo, ip, TOKEN), 429)).toBe(429);
  expect(await login(solo, '198.51.100.4', TOKEN)).toBe(200);
});

it('counts failed logins through two isolates together when they share one counter', async () => {
  const { a, b } = workers as Record<'a' | 'b', Fetch>;
  const ip = '203.0.113.7';
  // Three failures, split across the isolates: within the binding's limit of 3. Each is counted
  // before the next is made (two isolates' calls would otherwise race to the counter).
  for (const [k, via] of [a, b, a].entries()) {
    expect(await login(via, ip, 'wrong')).toBe(401);
    await counted(k + 1);
  }
  expect(await login(b, ip, TOKEN)).toBe(200);
  // The fourth failure (through b) is over the shared limit: b refuses the client from now on.
  expect(await login(b, ip, 'wrong')).toBe(401);
  await counted(4);
  expect(await eventually(() => login(b, ip, TOKEN), 429)).toBe(429);
  // a has seen two failures of its own only; its next failure finds the shared count over.
  expect(await login(a, ip, TOKEN)).toBe(200);
  expect(await login(a, ip, 'wrong')).toBe(401);
  await counted(5);
  expect(await eventually(() => login(a, ip, TOKEN), 429)).toBe(429);
  // Another client is counted on its own.
  expect(await login(a, '198.51.100.4', TOKEN)).toBe(200);
});

it('without the binding each isolate allows its own 10 failures a minute', async () => {
  const { c, d } = workers as Record<'c' | 'd', Fetch>;
  const ip = '203.0.113.8';
  for (let i = 0; i < 10; i++) expect(await login(c, ip, 'wrong')).toBe(401);
  expect(await login(c, ip, TOKEN)).toBe(429);
  // The other isolate has counted nothing: the limit multiplies by the isolates a guesser reaches.
  expect(await login(d, ip, 'wrong')).toBe(401);
  expect(await login(d, ip, TOKEN)).toBe(200);
});
