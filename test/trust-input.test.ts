/**
 * Hostile input on every read surface (query strings, headers, names and paths), fuzzed with
 * fast-check against an fs store that sits beside a canary: only documented statuses, JSON errors,
 * no echo, only published bytes, and nothing outside the store read or written.
 */

import { rm } from 'node:fs/promises';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeEncoders } from '../src/node/encoders.js';
import { MAX_HEAD_BYTES, startServer } from '../src/node/serve.js';
import { CAPABILITIES, HOSTS } from '../src/profile/caps.js';
import { encodeToken } from '../src/profile/codec.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { createApp } from '../src/server/app.js';
import {
  type Answer,
  acceptEncoding,
  appClient,
  BIG,
  capsList,
  DEMO,
  expectOnlyStoreFiles,
  expectSafe,
  headerValue,
  hexOf,
  httpClient,
  ifNoneMatch,
  type Published,
  profileToken,
  publishedOf,
  type RawClient,
  type Req,
  rangeHeader,
  recording,
  type Sandbox,
  sandbox,
  segment,
  TOKEN,
  taint,
} from './harness/trust.js';

/**
 * One test's world: a sandboxed fs store holding the demo and a 70 KB module, the app over it,
 * and the oracle's record of what was published. Every test gets its own, so what one test's
 * fuzzer publishes (a module named `valueof`, say) is never seen by another.
 */
interface World {
  box: Sandbox;
  store: ReturnType<typeof recording>;
  client: RawClient;
  published: Published;
  /** Names a fuzzed PUT published: from then on they are stored data, not raw input, and answers name them. */
  stored: Set<string>;
}

async function newWorld(): Promise<World> {
  const box = await sandbox();
  const store = recording(fsStore({ dir: box.storeDir }));
  const app = createApp({ store, publishToken: TOKEN, encoders: nodeEncoders, manifestTtlMs: 50 });
  const client = appClient(app);
  const headers = { Authorization: `Bearer ${TOKEN}` };
  for (const name of ['single', 'wasi-threads', 'sab', 'set'] as const)
    expect(
      (await client({ method: 'PUT', path: `/v1/modules/demo/variants/${name}`, headers, body: DEMO[name] }))
        .status,
    ).toBe(201);
  expect(
    (await client({ method: 'PUT', path: '/v1/modules/big/variants/single', headers, body: BIG })).status,
  ).toBe(201);
  return { box, store, client, published: publishedOf(...Object.values(DEMO), BIG), stored: new Set() };
}

let w: World;

beforeEach(async () => {
  w = await newWorld();
});

afterEach(async () => {
  await w.box.expectUntouched();
  await expectOnlyStoreFiles(w.box.storeDir);
  w.store.expectOnlyStoreKeys();
  await rm(w.box.parent, { recursive: true, force: true });
});

/** Checks the oracle, counting a successful publish (its bytes and its validated names) as published. */
function check(answer: Answer, req: Req, taints: string[]): Answer {
  if (answer.status === 201 && req.body) {
    w.published.blobs.set(hexOf(req.body), req.body);
    for (const t of taints) w.stored.add(t);
  }
  expectSafe(
    answer,
    req,
    w.published,
    taints.filter((t) => !w.stored.has(t)),
  );
  return answer;
}

async function send(req: Req, taints: string[]): Promise<Answer> {
  return check(await w.client(req), req, taints);
}

const validToken = fc
  .record({ host: fc.constantFrom(...HOSTS), caps: fc.subarray([...CAPABILITIES]) })
  .map((p) => encodeToken(p));

describe('profile input (caps=, profile=, host=, Wasm-Caps, User-Agent)', () => {
  it('answers any mix with a documented status, no echo and only published bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            route: fc.constantFrom('resolve', 'wasm'),
            module: fc.constantFrom('demo', 'big'),
            caps: capsList,
            profile: fc.oneof(validToken, profileToken),
            host: fc.oneof(fc.constantFrom(...HOSTS), headerValue),
            wasmCaps: fc.oneof(capsList, validToken, profileToken, headerValue),
            ua: headerValue,
            t: taint,
          },
          { requiredKeys: ['route', 'module', 't'] },
        ),
        async ({ route, module, caps, profile, host, wasmCaps, ua, t }) => {
          const query = new URLSearchParams();
          if (caps !== undefined) query.set('caps', caps);
          if (profile !== undefined) query.set('profile', profile);
          if (host !== undefined) query.set('host', host);
          const headers: Record<string, string> = {};
          if (wasmCaps !== undefined) headers['Wasm-Caps'] = wasmCaps;
          if (ua !== undefined) headers['User-Agent'] = ua;
          const req = { path: `/v1/modules/${module}/${route}?${query}`, headers };
          const answer = await send(req, [t, ...taintsIn(caps, profile, host, wasmCaps, ua)]);
          // Threads are never granted from a User-Agent alone.
          if (
            answer.status === 200 &&
            route === 'resolve' &&
            answer.headers.get('weft-profile-source') === 'user-agent'
          )
            expect(JSON.parse(new TextDecoder().decode(answer.body)).model).toBe('single');
        },
      ),
      { numRuns: 700 },
    );
  });

  it('answers raw query strings (repeated keys, bad percent-encoding, stray & and =) the same way', async () => {
    const part = fc.oneof(
      fc.constantFrom(
        'caps',
        'profile',
        'host',
        'need',
        'version',
        'caps[]',
        '',
        '%',
        '%zz',
        '%00',
        '%E0%A4%A',
        '=',
        '&',
      ),
      capsList.map(encodeURIComponent),
      profileToken.map(encodeURIComponent),
      taint,
      fc.string({ maxLength: 30 }).map(encodeURIComponent),
    );
    const query = fc.array(fc.tuple(part, fc.constantFrom('=', '', '=='), part), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/v1/modules/demo/resolve',
          '/v1/modules/demo/wasm',
          '/v1/modules',
          '/v1/polyfills.js',
        ),
        query,
        async (path, pairs) => {
          const qs = pairs.map(([k, eq, v]) => k + eq + v).join('&');
          await send({ path: `${path}?${qs}` }, taintsIn(qs));
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('conditional, range and encoding headers', () => {
  it('answer whole published bytes (decoded), an exact slice of one, or 304: never other bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          ...[...w.published.blobs.keys()].map((hex) => `/v1/blobs/sha256-${hex}.wasm`),
          '/v1/modules/demo/wasm?caps=shared-memory,threads,workers',
          '/v1/modules/demo/wasm?caps=',
          '/v1/modules/big/wasm?caps=',
        ),
        fc.constantFrom('GET', 'HEAD'),
        fc.record(
          {
            Range: rangeHeader,
            'If-None-Match': ifNoneMatch(etagsOf(w.published)),
            'Accept-Encoding': acceptEncoding,
          },
          { requiredKeys: [] },
        ),
        async (path, method, headers) => {
          await send({ method, path, headers }, []);
        },
      ),
      { numRuns: 700 },
    );
  });
});

const ROUTES = [
  (a: string) => `/v1/modules/${a}`,
  (a: string) => `/v1/modules/${a}/resolve?caps=`,
  (a: string) => `/v1/modules/${a}/wasm?caps=`,
  (a: string) => `/v1/blobs/${a}`,
  (a: string) => `/v1/blobs/${a}.wasm`,
  (a: string, b: string) => `/v1/modules/${a}/variants/${b}`,
  (a: string, b: string) => `/v1/modules/${a}@${b}/resolve?caps=`,
  (a: string, b: string) => `/v1/modules/${a}/wasm?caps=&version=${b}`,
  (a: string) => `/v1/modules/${a}/versions`,
  (a: string) => `/v1/modules/${a}/current`,
  (a: string, b: string) => `/v1/modules/${a}/versions/${b}`,
  (a: string, b: string) => `/v1/${a}/${b}`,
  (a: string, b: string) => `/${a}/${b}/${a}`,
];

const pathCase = fc.record({
  route: fc.nat(ROUTES.length - 1),
  a: segment(),
  b: segment(),
  method: fc.constantFrom('GET', 'GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'),
  auth: fc.boolean(),
  body: fc.oneof(fc.constant(undefined), fc.uint8Array({ maxLength: 64 }), fc.constant(DEMO.single)),
});

interface PathCase {
  route: number;
  a: string;
  b: string;
  method: string;
  auth: boolean;
  body: Uint8Array | undefined;
}

function requestOf(c: PathCase): Req {
  const path = ROUTES[c.route]!(c.a, c.b);
  const withBody = c.body && !['GET', 'HEAD'].includes(c.method);
  return {
    method: c.method,
    path,
    headers: c.auth ? { Authorization: `Bearer ${TOKEN}` } : {},
    ...(withBody ? { body: c.body } : {}),
  };
}

describe('names and paths', () => {
  it('reach nothing outside the store through app.fetch (.., %2e%2e, %252e, NUL, backslashes, prototype names, long names)', async () => {
    await fc.assert(
      fc.asyncProperty(pathCase, async (c) => {
        await send(requestOf(c), taintsIn(c.a, c.b));
      }),
      { numRuns: 900 },
    );
    w.store.expectOnlyStoreKeys();
  });

  it('reach nothing outside the store when sent raw to the Node entry (no client-side normalisation)', async () => {
    const server = await startServer({ store: w.store, port: 0, publishToken: TOKEN });
    const raw = httpClient(server.url);
    try {
      await fc.assert(
        fc.asyncProperty(pathCase, async (c) => {
          const req = requestOf(c);
          // node:http refuses paths with spaces or control characters before sending; encode those.
          req.path = req.path.replace(/[^\x21-\x7e]/g, (ch) => encodeURIComponent(ch));
          check(await raw(req), req, taintsIn(c.a, c.b));
        }),
        { numRuns: 300 },
      );
    } finally {
      await server.close();
    }
    w.store.expectOnlyStoreKeys();
  });

  it('treats prototype names as ordinary missing modules: 404, never Object itself', async () => {
    for (const name of ['constructor', 'hasownproperty', 'valueof', 'prototype']) {
      for (const route of ['', '/resolve?caps=', '/wasm?caps=']) {
        const answer = await send({ path: `/v1/modules/${name}${route}` }, []);
        expect(answer.status).toBe(404);
      }
    }
  });

  it('publishes under a prototype name as its own module, without touching Object', async () => {
    const req = {
      method: 'PUT',
      path: '/v1/modules/constructor/variants/single?version=9.9.9',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: DEMO.single,
    };
    expect((await send(req, [])).status).toBe(201);
    expect(Object.hasOwn(Object, 'version')).toBe(false);
    expect(Object.hasOwn(Object, 'variants')).toBe(false);
    const answer = await send({ path: '/v1/modules/constructor/wasm?caps=' }, []);
    expect(hexOf(answer.body)).toBe(hexOf(DEMO.single));
  });

  it('answers a URL over 4096 characters with 414, without echoing it', async () => {
    for (const n of [4100, 8000, 12_000]) {
      const t = 'qzlong1';
      const answer = await send({ path: `/v1/modules/demo/wasm?caps=${t}${'a'.repeat(n)}` }, [t]);
      expect(answer.status).toBe(414);
    }
  });
});

const etagsOf = (published: Published) => [...published.blobs.keys()].map((hex) => `"sha256-${hex}"`);

describe('the Node entry before the app runs', () => {
  it("answers a 32 KiB URL with the JSON 414 of the app, not Node parser's bare 431", async () => {
    const server = await startServer({ store: w.store, port: 0 });
    try {
      const t = 'qzlong32';
      const req = { path: `/v1/modules/demo/wasm?caps=${t}${'a'.repeat(32 * 1024)}` };
      const answer = check(await httpClient(server.url)(req), req, [t]);
      expect(answer.status).toBe(414);
      expect(JSON.parse(new TextDecoder().decode(answer.body)).error.code).toBe('uri_too_long');
    } finally {
      await server.close();
    }
  });

  it('answers a request head over the hard bound with a JSON 431 that echoes nothing', async () => {
    const server = await startServer({ store: w.store, port: 0 });
    try {
      const answer = await httpClient(server.url)({
        path: '/healthz',
        headers: { 'X-Junk': `qzhead01${'b'.repeat(MAX_HEAD_BYTES)}` },
      });
      expect(answer.status).toBe(431);
      expect(answer.headers.get('content-type')).toBe('application/json');
      const text = new TextDecoder().decode(answer.body);
      expect(JSON.parse(text).error.code).toBe('header_too_large');
      expect(text).not.toContain('qzhead01');
      // The server is still up for the next client.
      expect((await httpClient(server.url)({ path: '/healthz' })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

/** The taints embedded in the given inputs (each input may carry `qz` markers). */
function taintsIn(...inputs: (string | undefined)[]): string[] {
  return inputs.flatMap((s) => (s ? (decodeSafe(s).match(/qz[a-z0-9]{6}/g) ?? []) : []));
}

function decodeSafe(s: string): string {
  try {
    return `${s} ${decodeURIComponent(s)}`;
  } catch {
    return s;
  }
}
