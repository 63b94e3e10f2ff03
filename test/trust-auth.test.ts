/**
 * Publishing is behind the bearer token: compared in constant time, never logged, and guessing is
 * limited (429 with Retry-After after repeated failures, per client key only when told to trust a
 * proxy's address header, with bounded memory).
 */

import { request } from 'node:http';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startServer } from '../src/node/serve.js';
import type { Store } from '../src/registry/store.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';
import { type ClientAddress, clientAddresses, createAuthLimiter } from '../src/server/auth-limit.js';
import { timingSafeEqual } from '../src/server/publisher.js';
import {
  appClient,
  DEMO,
  expectSafe,
  headerValue,
  httpClient,
  listen,
  publishedOf,
  TOKEN,
} from './harness/trust.js';

/** A deployment behind Cloudflare or a proxy that appends the address it saw (the entry's choice). */
const behindProxy: ClientAddress = (c) => clientAddresses.cloudflare(c) ?? clientAddresses.forwardedFor(c);

const published = publishedOf(...Object.values(DEMO));

function put(app: ReturnType<typeof createApp>, auth?: string, extra: Record<string, string> = {}) {
  return app.request('/v1/modules/demo/variants/single', {
    method: 'PUT',
    body: DEMO.single as Uint8Array<ArrayBuffer>,
    headers: { ...(auth === undefined ? {} : { Authorization: auth }), ...extra },
  });
}

describe('timingSafeEqual (the token comparison)', () => {
  it.each([
    ['', '', true],
    ['a', 'a', true],
    [TOKEN, TOKEN, true],
    ['a', 'b', false],
    ['a', '', false],
    ['', 'a', false],
    [TOKEN, `${TOKEN}x`, false],
    [`${TOKEN}x`, TOKEN, false],
    [TOKEN.slice(0, -1), TOKEN, false],
    ['é', 'e\u0301', false],
    ['\0', '', false],
  ])('compares %j and %j as %s', (a, b, equal) => {
    expect(timingSafeEqual(a, b)).toBe(equal);
  });

  it('agrees with === on arbitrary strings, including near misses', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(timingSafeEqual(a, b)).toBe(a === b);
        expect(timingSafeEqual(a, a)).toBe(true);
        expect(timingSafeEqual(a, `${a}${b}`)).toBe(b === '');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the bearer token on PUT', () => {
  it('publishes only with exactly `Bearer <token>`: every other Authorization is 401, never a 500', async () => {
    const app = createApp({ publishToken: TOKEN, authFailures: { max: Number.POSITIVE_INFINITY } });
    const client = appClient(app);
    const near = fc.oneof(
      headerValue,
      fc.constantFrom(
        '',
        'Bearer',
        'Bearer ',
        `bearer ${TOKEN}`,
        `BEARER ${TOKEN}`,
        `Bearer  ${TOKEN}`,
        `Bearer ${TOKEN.toUpperCase()}`,
        `Bearer ${TOKEN.slice(0, -1)}`,
        `Bearer ${TOKEN}0`,
        `Basic ${btoa(`user:${TOKEN}`)}`,
        `Token ${TOKEN}`,
        TOKEN,
        `Bearer ${TOKEN},Bearer ${TOKEN}`,
      ),
      fc.string({ maxLength: 8 }).map((s) => `Bearer ${TOKEN}${s.replace(/[^\x21-\x7e]/g, '')}`),
    );
    await fc.assert(
      fc.asyncProperty(near, async (auth) => {
        const req = {
          method: 'PUT',
          path: '/v1/modules/demo/variants/single',
          headers: { Authorization: auth },
          body: DEMO.single,
        };
        const answer = await client(req);
        // fetch trims header values, so surrounding whitespace is not part of what the server sees.
        const exact = auth.trim() === `Bearer ${TOKEN}`;
        expect(answer.status).toBe(exact ? 201 : 401);
        if (!exact) expect(answer.headers.get('www-authenticate')).toBe('Bearer');
        expectSafe(answer, req, published, [TOKEN]);
      }),
      { numRuns: 500 },
    );
  });

  it('answers 403 to every PUT when no token is configured, whatever the Authorization', async () => {
    const app = createApp({});
    for (const auth of [undefined, `Bearer ${TOKEN}`, 'Bearer ', 'Bearer undefined', 'Bearer null']) {
      const res = await put(app, auth);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('publish_disabled');
    }
  });
});

describe('tokens never reach a log or an answer', () => {
  const lines: string[] = [];
  const saved: Partial<Record<'log' | 'error' | 'warn' | 'info' | 'debug', typeof console.log>> = {};
  let writes: [typeof process.stdout.write, typeof process.stderr.write];
  beforeEach(() => {
    lines.length = 0;
    for (const level of ['log', 'error', 'warn', 'info', 'debug'] as const) {
      saved[level] = console[level];
      console[level] = (...args: unknown[]) => {
        lines.push(
          args.map((a) => (a instanceof Error ? `${a.stack} ${String(a.cause)}` : String(a))).join(' '),
        );
      };
    }
    writes = [process.stdout.write, process.stderr.write];
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
  });
  afterEach(() => {
    for (const [level, fn] of Object.entries(saved)) console[level as 'log'] = fn;
    [process.stdout.write, process.stderr.write] = writes;
  });

  it('logs no token during failed, limited, successful and store-failing publishes (app.fetch and Node server)', async () => {
    const failingPut = (): Store => ({
      ...memoryStore(),
      driver: 'broken',
      put: () => Promise.reject(new Error('disk full')),
    });
    const bodies: string[] = [];
    const guesses = [
      undefined,
      'Bearer wrong',
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
    ];
    for (const makeStore of [memoryStore, failingPut]) {
      for (const mode of ['app.fetch', 'node server']) {
        const app = createApp({ store: makeStore(), publishToken: TOKEN, authFailures: { max: 3 } });
        const server = mode === 'node server' ? await listen(app) : undefined;
        const client = server ? httpClient(server.origin) : appClient(app);
        try {
          for (const auth of [`Bearer ${TOKEN}`, ...guesses, `Bearer ${TOKEN}`]) {
            const answer = await client({
              method: 'PUT',
              path: '/v1/modules/demo/variants/single',
              headers: auth ? { Authorization: auth } : {},
              body: DEMO.single,
            });
            bodies.push(
              `${answer.status} ${new TextDecoder().decode(answer.body)} ${[...answer.headers].join(' ')}`,
            );
          }
        } finally {
          await server?.close();
        }
      }
    }
    // The run did meet every path: a success, refusals, the limiter, and a failing store.
    expect(bodies.some((b) => b.startsWith('201'))).toBe(true);
    expect(bodies.some((b) => b.startsWith('401'))).toBe(true);
    expect(bodies.some((b) => b.startsWith('429'))).toBe(true);
    expect(bodies.some((b) => b.startsWith('503'))).toBe(true);
    expect(lines.some((l) => l.includes('disk full'))).toBe(true);
    for (const text of [...lines, ...bodies]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(TOKEN.slice(0, 12));
      expect(text).not.toContain(btoa(TOKEN).slice(0, 12));
    }
  });
});

describe('failed authentications are limited', () => {
  // The limiter's windows run on Date.now(). The clock stands still unless a test moves it, so a
  // window ends when the test says so, not when a slow machine happens to get there first.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const later = (ms: number) => vi.setSystemTime(Date.now() + ms);

  it('answers 429 with Retry-After after 10 failures, even to the right token, then lets it through once the window ends', async () => {
    const app = createApp({ publishToken: TOKEN, authFailures: { windowMs: 60_000 } });
    for (let i = 0; i < 10; i++) expect((await put(app, 'Bearer wrong')).status).toBe(401);
    later(59_999);
    for (const auth of ['Bearer wrong', `Bearer ${TOKEN}`]) {
      const res = await put(app, auth);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('too_many_requests');
    }
    // Reading is never limited.
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/v1/modules')).status).toBe(200);
    later(1);
    expect((await put(app, `Bearer ${TOKEN}`)).status).toBe(201);
  });

  it('does not count successes, and starts a fresh window after one ends', async () => {
    const app = createApp({ publishToken: TOKEN, authFailures: { max: 2, windowMs: 300 } });
    expect((await put(app, 'Bearer wrong')).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await put(app, `Bearer ${TOKEN}`)).status).toBe(201);
    expect((await put(app, 'Bearer wrong')).status).toBe(401);
    expect((await put(app, 'Bearer wrong')).status).toBe(429);
    later(300);
    expect((await put(app, 'Bearer wrong')).status).toBe(401);
  });

  it('keeps one global bucket unless told to trust address headers: forged X-Forwarded-For does not escape it', async () => {
    const app = createApp({ publishToken: TOKEN, authFailures: { max: 3 } });
    for (let i = 0; i < 3; i++)
      expect(
        (
          await put(app, 'Bearer wrong', {
            'X-Forwarded-For': `10.0.0.${i}`,
            'CF-Connecting-IP': `10.1.0.${i}`,
          })
        ).status,
      ).toBe(401);
    expect(
      (await put(app, 'Bearer wrong', { 'X-Forwarded-For': '10.9.9.9', 'CF-Connecting-IP': '10.9.9.9' }))
        .status,
    ).toBe(429);
  });

  it('keys on CF-Connecting-IP, else the last X-Forwarded-For entry, when the deployment says so: one client does not lock out another', async () => {
    const app = createApp({ publishToken: TOKEN, authFailures: { max: 3 }, clientKey: behindProxy });
    for (let i = 0; i < 3; i++)
      expect((await put(app, 'Bearer wrong', { 'CF-Connecting-IP': '203.0.113.7' })).status).toBe(401);
    expect((await put(app, 'Bearer wrong', { 'CF-Connecting-IP': '203.0.113.7' })).status).toBe(429);
    expect((await put(app, `Bearer ${TOKEN}`, { 'CF-Connecting-IP': '198.51.100.1' })).status).toBe(201);
    // The proxy appends the address it saw; what the client wrote before it does not change the key.
    for (let i = 0; i < 3; i++)
      expect((await put(app, 'Bearer wrong', { 'X-Forwarded-For': `spoof-${i}, 192.0.2.5` })).status).toBe(
        401,
      );
    expect((await put(app, 'Bearer wrong', { 'X-Forwarded-For': 'another, 192.0.2.5' })).status).toBe(429);
    expect((await put(app, `Bearer ${TOKEN}`, { 'X-Forwarded-For': '192.0.2.5, 192.0.2.6' })).status).toBe(
      201,
    );
  });

  it('limits failed logins per client address on the Node entry: 127.0.0.2 locked out, 127.0.0.1 publishes', async () => {
    const server = await startServer({ store: memoryStore(), port: 0, publishToken: TOKEN });
    const port = new URL(server.url).port;
    const putFrom = (localAddress: string, token: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            localAddress,
            method: 'PUT',
            path: '/v1/modules/m/variants/v',
            headers: { Authorization: `Bearer ${token}`, 'Content-Length': DEMO.single.length },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(DEMO.single);
      });
    try {
      // The default limit: 10 failures a minute per client.
      for (let i = 0; i < 10; i++) expect(await putFrom('127.0.0.2', 'wrong')).toBe(401);
      expect(await putFrom('127.0.0.2', TOKEN)).toBe(429);
      expect(await putFrom('127.0.0.1', TOKEN)).toBe(201);
    } finally {
      await server.close();
    }
  });

  it('tracks at most maxKeys clients, forgetting the oldest, whatever the number of addresses', () => {
    const limiter = createAuthLimiter({ max: 2, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) limiter.fail(`ip:${i}`);
    expect(limiter.size()).toBe(100);
    limiter.fail('ip:9999');
    expect(limiter.retryAfter('ip:9999')).toBeGreaterThan(0);
    expect(limiter.retryAfter('ip:0')).toBe(0);
  });

  it('bounds memory through the app too: 5000 addresses failing once each leave it answering', async () => {
    const app = createApp({
      publishToken: TOKEN,
      clientKey: behindProxy,
      authFailures: { max: 1, maxKeys: 64 },
    });
    for (let i = 0; i < 5000; i++)
      await put(app, 'Bearer wrong', { 'CF-Connecting-IP': `a${i}${'x'.repeat(200)}` });
    expect((await put(app, `Bearer ${TOKEN}`, { 'CF-Connecting-IP': 'fresh' })).status).toBe(201);
  });
});
