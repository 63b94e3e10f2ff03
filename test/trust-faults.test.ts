/**
 * A store that throws, hangs, or hands back truncated or malformed values: every route that needs
 * it answers 503 with Retry-After and a JSON error that leaks nothing, within the store timeout,
 * while /healthz keeps answering and the app recovers as soon as the store does.
 */
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { publish } from '../src/registry/publish.js';
import { type Store, withTimeout } from '../src/registry/store.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';
import {
  type Answer,
  DEMO,
  describeBoth,
  expectSafe,
  hexOf,
  publishedOf,
  type RawClient,
  type Req,
  TOKEN,
} from './harness/trust.js';

type Fault =
  | 'none'
  | 'throw'
  | 'reject'
  | 'hang'
  | 'slow'
  | 'truncate'
  | 'string'
  | 'undefined'
  | 'arraybuffer'
  | 'held';
type Scope = 'all' | 'records' | 'blobs' | 'writes';

/** A memory store holding the demo whose behaviour a test switches at run time. */
async function controllable() {
  const inner = memoryStore();
  for (const name of ['single', 'wasi-threads', 'sab', 'set'] as const)
    await publish(inner, { module: 'demo', variant: name, bytes: DEMO[name] });
  let release = () => {};
  const state = {
    fault: 'none' as Fault,
    scope: 'all' as Scope,
    /** While the fault is `held`, store calls wait on this gate (opened by `release`). */
    gate: Promise.resolve(),
    hold() {
      state.fault = 'held';
      state.gate = new Promise<void>((open) => {
        release = open;
      });
    },
    release: () => release(),
  };
  const applies = (key: string, write: boolean) =>
    state.scope === 'all' ||
    (state.scope === 'writes' && write) ||
    (state.scope === 'records' && key.endsWith('.json') && !write) ||
    (state.scope === 'blobs' && /\.wasm(\.br|\.gz)?$/.test(key) && !write);
  const act = async <T>(key: string, write: boolean, real: () => Promise<T>): Promise<T> => {
    if (!applies(key, write)) return real();
    switch (state.fault) {
      case 'throw':
        throw new Error('disk on fire at /secret/path');
      case 'reject':
        return Promise.reject(new Error('EIO /secret/path'));
      case 'hang':
        return new Promise<T>(() => {});
      case 'held':
        await state.gate;
        return real();
      case 'slow':
        await new Promise((r) => setTimeout(r, 30));
        return real();
      case 'truncate': {
        const value = (await real()) as unknown;
        const half = (b: Uint8Array) => b.subarray(0, b.length >> 1);
        if (value instanceof Uint8Array) return half(value) as T;
        // A versioned read (what publishing uses) is truncated the same way.
        if (value && typeof value === 'object' && (value as { value?: unknown }).value instanceof Uint8Array)
          return { ...(value as object), value: half((value as { value: Uint8Array }).value) } as T;
        return value as T;
      }
      case 'string':
        return 'secret bytes' as T;
      case 'undefined':
        return undefined as T;
      case 'arraybuffer':
        return new ArrayBuffer(8) as T;
      default:
        return real();
    }
  };
  const store: Store = {
    driver: 'flaky',
    // Synchronous throws too: a driver is not trusted to return a promise.
    get: (key) =>
      state.fault === 'throw' && applies(key, false) ? throwNow() : act(key, false, () => inner.get(key)),
    put: (key, value) => act(key, true, () => inner.put(key, value)),
    delete: (key) => act(key, true, () => inner.delete(key)),
    list: (prefix) => inner.list(prefix),
    // The faults act on versioned reads and conditional writes alike: publishing uses them.
    getVersioned: (key) =>
      state.fault === 'throw' && applies(key, false)
        ? throwNow()
        : act(key, false, () => inner.getVersioned(key)),
    putIf: (key, value, version) => act(key, true, () => inner.putIf(key, value, version)),
  };
  return { store, state };
}

function throwNow(): never {
  throw new Error('disk on fire at /secret/path');
}

const TIMEOUT = 150;
const published = publishedOf(...Object.values(DEMO));
const blobPath = `/v1/blobs/sha256-${hexOf(DEMO.single)}.wasm`;
const READS: Req[] = [
  { path: '/v1/modules' },
  { path: '/v1/modules/demo' },
  { path: '/v1/modules/demo/resolve?caps=' },
  { path: '/v1/modules/demo/wasm?caps=' },
  {
    path: '/v1/modules/demo/wasm?caps=shared-memory,threads,workers',
    headers: { 'Accept-Encoding': 'gzip' },
  },
  { path: blobPath },
  { method: 'HEAD', path: blobPath },
];
const WRITE: Req = {
  method: 'PUT',
  path: '/v1/modules/demo/variants/extra',
  headers: { Authorization: `Bearer ${TOKEN}` },
  body: DEMO.single,
};

let current: Awaited<ReturnType<typeof controllable>> | undefined;
let errors: MockInstance<typeof console.error>;
beforeEach(() => {
  errors = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  errors.mockRestore();
  if (!current) return;
  current.state.fault = 'none';
  current.state.scope = 'all';
});

async function expectUnavailable(client: RawClient, req: Req): Promise<Answer> {
  const started = performance.now();
  const answer = await client(req);
  expectSafe(answer, req, published);
  expect(answer.status, `${req.method ?? 'GET'} ${req.path}`).toBe(503);
  expect(answer.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  if (req.method !== 'HEAD') {
    const text = new TextDecoder().decode(answer.body);
    expect(JSON.parse(text).error.code).toBe('unavailable');
    expect(text).not.toMatch(/secret|fire|EIO|flaky/);
  }
  // Bounded by the store timeout (plus slack for a loaded machine), never left hanging.
  expect(performance.now() - started).toBeLessThan(TIMEOUT + 1500);
  return answer;
}

async function expectHealthyAgain(client: RawClient) {
  current!.state.fault = 'none';
  for (const req of [...READS, { path: '/healthz' }]) {
    const answer = await client(req);
    expectSafe(answer, req, published);
    expect(answer.status, req.path).toBe(200);
  }
}

describeBoth(
  'a faulty store',
  async () => {
    current = await controllable();
    return createApp({
      store: current.store,
      publishToken: TOKEN,
      storeTimeoutMs: TIMEOUT,
      manifestTtlMs: 0,
      // Every read goes to the faulty store (the verified-bytes cache has its own test).
      blobCacheBytes: 0,
    });
  },
  (client) => {
    for (const fault of [
      'throw',
      'reject',
      'hang',
      'truncate',
      'string',
      'undefined',
      'arraybuffer',
    ] as const) {
      it(`answers 503 with Retry-After on every route when the store ${describeFault(fault)}, keeps /healthz up, and recovers`, async () => {
        current!.state.fault = fault;
        for (const req of [...READS, WRITE]) await expectUnavailable(client(), req);
        expect((await client()({ path: '/healthz' })).status).toBe(200);
        // Each 503 left a line for the operator.
        expect(errors).toHaveBeenCalled();
        await expectHealthyAgain(client());
      });
    }

    it('answers 503 when only the blobs are truncated (the records are fine): hashes catch it', async () => {
      current!.state.fault = 'truncate';
      current!.state.scope = 'blobs';
      for (const req of READS.filter((r) => /wasm|blobs/.test(r.path)))
        await expectUnavailable(client(), req);
      expect(errors.mock.calls.flat().join(' ')).toMatch(/failed its hash check/);
      await expectHealthyAgain(client());
    });

    it('does not give up on a slow store that answers within the timeout', async () => {
      current!.state.fault = 'slow';
      for (const req of READS) expect((await client()(req)).status, req.path).toBe(200);
    });

    it('releases the publish lock when a write hangs: the next publish goes through once the store is back', async () => {
      current!.state.fault = 'hang';
      current!.state.scope = 'writes';
      await expectUnavailable(client(), WRITE);
      current!.state.fault = 'none';
      const answer = await client()(WRITE);
      expect(answer.status).toBe(201);
      await expectHealthyAgain(client());
    });
  },
);

// Without a store timeout, so that what the test proves rests on order alone, never on a clock.
describeBoth(
  'a store that has not answered yet',
  async () => {
    current = await controllable();
    return createApp({ store: current.store, storeTimeoutMs: 0, manifestTtlMs: 0, blobCacheBytes: 0 });
  },
  (client) => {
    it('keeps answering /healthz while 40 requests wait on a store that has not answered yet', async () => {
      current!.state.hold();
      let settled = 0;
      const waiting = Array.from({ length: 40 }, (_, i) =>
        client()({ path: i % 2 ? blobPath : '/v1/modules/demo/wasm?caps=' }).finally(() => settled++),
      );
      const health = await client()({ path: '/healthz' });
      expect(health.status).toBe(200);
      // Order, not a clock: /healthz was answered while every store request was still waiting.
      expect(settled).toBe(0);
      current!.state.release();
      const answers = await Promise.all(waiting);
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      await expectHealthyAgain(client());
    });
  },
);

function describeFault(fault: Exclude<Fault, 'held'>): string {
  return {
    none: 'works',
    throw: 'throws synchronously',
    reject: 'rejects',
    hang: 'hangs',
    slow: 'is slow',
    truncate: 'returns truncated bodies',
    string: 'returns a string instead of bytes',
    undefined: 'returns undefined',
    arraybuffer: 'returns an ArrayBuffer instead of a Uint8Array',
  }[fault];
}

describe('withTimeout (the store wrapper the app uses)', () => {
  const slow: Store = {
    ...memoryStore(),
    driver: 'slow',
    get: () => new Promise((r) => setTimeout(() => r(new Uint8Array([1])), 60)),
  };

  it('bounds each call and names the driver and operation in the error it throws', async () => {
    await expect(withTimeout(slow, 10).get('manifest.json')).rejects.toThrow(
      'slow store: get timed out after 10 ms',
    );
  });

  it('leaves calls unbounded when the timeout is 0 or Infinity', async () => {
    for (const ms of [0, Number.POSITIVE_INFINITY])
      expect(await withTimeout(slow, ms).get('manifest.json')).toEqual(new Uint8Array([1]));
  });

  it('defaults to 5 s in the app: a hung store is a 503 after about that long, not never', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const hung: Store = { ...memoryStore(), driver: 'hung', get: () => new Promise(() => {}) };
      const pending = createApp({ store: hung }).request('/v1/modules');
      await vi.advanceTimersByTimeAsync(4900);
      let settled = false;
      void Promise.resolve(pending).then(() => {
        settled = true;
      });
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(200);
      expect((await pending).status).toBe(503);
    } finally {
      vi.useRealTimers();
    }
  });
});
