/**
 * Shared by the trust tests: a sandboxed fs store with a canary beside it, raw clients that see
 * exactly the bytes the server sent (no decoding, no path normalisation), hostile-input generators,
 * and the oracle every answer must satisfy.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { custom, func, imp, imports, types, wasm } from '../../src/inspect/wasm-builder.js';
import { CAPABILITIES } from '../../src/profile/caps.js';
import type { Store } from '../../src/registry/store.js';

export type DemoName = 'set' | 'sab' | 'wasi-threads' | 'single';
export const DEMO = Object.fromEntries(
  (['set', 'sab', 'wasi-threads', 'single'] as const).map((name) => [
    name,
    new Uint8Array(readFileSync(new URL(`../../fixtures/demo/${name}.wasm`, import.meta.url))),
  ]),
) as Record<DemoName, Uint8Array>;

export const TOKEN = 'weft-trust-token-7f3a9c0e51d2b864';
export const hexOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);

// --- wasm bytes -------------------------------------------------------------------------------

/**
 * A valid core module (thread model `single`) built from parts: function imports (module, name),
 * and custom sections (name, payload). Used for compressible blobs and for names that carry taints.
 */
export function wasmModule(
  parts: { imports?: [string, string][]; custom?: [string, Uint8Array][] } = {},
): Uint8Array {
  const imported = parts.imports ?? [];
  return wasm(
    ...(imported.length
      ? [types(func([], [])), imports(...imported.map(([m, n]) => imp.func(m, n, 0)))]
      : []),
    ...(parts.custom ?? []).map(([n, payload]) => custom(n, [...payload])),
  );
}

/** A 48 KiB module that compresses well: its br and gzip copies are stored at publish. */
export const BIG = wasmModule({
  custom: [['weft.pad', utf8('weft pads this module so it compresses. '.repeat(1200))]],
});

// --- answers and clients ------------------------------------------------------------------------

/** A response as sent: status, headers, and the body bytes undecoded. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export interface Req {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
}

export type RawClient = (req: Req) => Promise<Answer>;

export async function answerOf(res: Response): Promise<Answer> {
  return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
}

/** Through `app.fetch`: the path goes through the URL parser (`..` resolved, `\` turned to `/`). */
export function appClient(app: Hono): RawClient {
  return async ({ method = 'GET', path, headers, body }) =>
    answerOf(
      await app.request(path, {
        method,
        ...(headers ? { headers } : {}),
        ...(body ? { body: body as Uint8Array<ArrayBuffer> } : {}),
      }),
    );
}

/** Over loopback with node:http: the path is sent as given, the body received as sent. */
export function httpClient(origin: string): RawClient {
  const url = new URL(origin);
  return ({ method = 'GET', path, headers = {}, body }) =>
    new Promise((done, fail) => {
      // Always framed: Node would send a DELETE or OPTIONS body unframed, a malformed request.
      const framing = body ? { 'Content-Length': String(body.length) } : {};
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers: { ...headers, ...framing },
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers))
              if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
            done({ status: res.statusCode ?? 0, headers: h, body: new Uint8Array(Buffer.concat(chunks)) });
          });
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(body ? Buffer.from(body) : undefined);
    });
}

/** Serves an app on a Node server on 127.0.0.1, port 0. */
export async function listen(app: Hono): Promise<{ origin: string; close: () => Promise<void> }> {
  return new Promise((done) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      done({
        origin: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise((closed) => {
            server.close(() => closed());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
  });
}

/**
 * Runs the body twice, like describeMatrix, but with raw clients: once through `app.fetch`, once
 * through a real Node server. `makeApp` runs once per mode.
 */
export function describeBoth(
  title: string,
  makeApp: () => Hono | Promise<Hono>,
  body: (client: () => RawClient, mode: 'app.fetch' | 'node server') => void,
): void {
  describe(`${title} [app.fetch]`, () => {
    let client: RawClient;
    beforeAll(async () => {
      client = appClient(await makeApp());
    });
    body(() => client, 'app.fetch');
  });
  describe(`${title} [node server]`, () => {
    let client: RawClient;
    let close = async () => {};
    beforeAll(async () => {
      const server = await listen(await makeApp());
      client = httpClient(server.origin);
      close = server.close;
    });
    afterAll(() => close());
    body(() => client, 'node server');
  });
}

/** The body as the client meant it: undone Content-Encoding (br, gzip). */
export function decoded(answer: Answer): Uint8Array {
  const encoding = answer.headers.get('content-encoding');
  if (encoding === 'br') return new Uint8Array(brotliDecompressSync(answer.body));
  if (encoding === 'gzip') return new Uint8Array(gunzipSync(answer.body));
  return answer.body;
}

// --- the sandbox ----------------------------------------------------------------------------------

export interface Sandbox {
  parent: string;
  storeDir: string;
  /** A real wasm module stored outside the store under its true content address. */
  canary: Uint8Array;
  /** Fails if anything outside the store dir was created, changed or removed. */
  expectUntouched(): Promise<void>;
}

export const DECOY_MODULE = 'zz-decoy-outside';
const CANARY_TEXT = 'CANARY: weft must never read or write this file';

async function walk(root: string, skip: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath ?? entry.path, entry.name);
    if (path === skip || path.startsWith(skip + sep)) continue;
    const info = await stat(path);
    const what = entry.isFile() ? hexOf(new Uint8Array(await readFile(path))) : 'dir';
    out[relative(root, path)] = `${what} ${info.size} ${info.mtimeMs}`;
  }
  return out;
}

/**
 * A parent temp dir holding the store dir and, beside it, a canary file, a decoy manifest and a
 * decoy blob named by its true hash: a store that ever stepped outside its dir would find a
 * module and bytes that verify, so the oracle would see them served.
 */
export async function sandbox(): Promise<Sandbox> {
  const parent = await mkdtemp(join(tmpdir(), 'weft-trust-'));
  const storeDir = join(parent, 'store');
  await mkdir(storeDir);
  const canary = wasmModule({ custom: [['canary', utf8(CANARY_TEXT)]] });
  const blob = `sha256-${hexOf(canary)}`;
  await writeFile(join(parent, 'canary.txt'), CANARY_TEXT);
  await mkdir(join(parent, 'blobs'));
  await writeFile(join(parent, 'blobs', `${blob}.wasm`), canary);
  const decoy = {
    schema: 1,
    modules: {
      [DECOY_MODULE]: {
        version: '6.6.6',
        variants: [
          { name: 'single', model: 'single', requires: [], blob, size: canary.length, polyfills: [] },
        ],
      },
    },
  };
  await writeFile(join(parent, 'manifest.json'), JSON.stringify(decoy));
  const before = await walk(parent, storeDir);
  return {
    parent,
    storeDir,
    canary,
    expectUntouched: async () => expect(await walk(parent, storeDir)).toEqual(before),
  };
}

const STORE_KEY =
  /^(?:manifest\.json|blobs\/sha256-[0-9a-f]{64}\.wasm(?:\.br|\.gz)?|files\/sha256-[0-9a-f]{64})$/;

/** Wraps a store and records every key the app asked it for. */
export function recording(inner: Store): Store & { keys: Set<string>; expectOnlyStoreKeys(): void } {
  const keys = new Set<string>();
  const seen = (key: string) => {
    keys.add(key);
    return key;
  };
  return {
    driver: inner.driver,
    get: (key) => inner.get(seen(key)),
    put: (key, value) => inner.put(seen(key), value),
    delete: (key) => inner.delete(seen(key)),
    list: (prefix) => inner.list(prefix),
    getVersioned: (key) => inner.getVersioned(seen(key)),
    putIf: (key, value, version) => inner.putIf(seen(key), value, version),
    keys,
    expectOnlyStoreKeys() {
      const odd = [...keys].filter((k) => !STORE_KEY.test(k));
      expect(odd, 'keys the app built from request input').toEqual([]);
    },
  };
}

/** Every file under the store dir is a store key (nothing written beside or outside it). */
export async function expectOnlyStoreFiles(storeDir: string): Promise<void> {
  const files = (await readdir(storeDir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) =>
      relative(storeDir, resolve(e.parentPath ?? e.path, e.name))
        .split(sep)
        .join('/'),
    );
  expect(files.filter((f) => !STORE_KEY.test(f))).toEqual([]);
}

// --- the oracle -------------------------------------------------------------------------------------

/** The error statuses weft answers (contract.md, plus 429 from docs/api-errors.md). */
export const ERROR_STATUSES = [400, 401, 403, 404, 405, 406, 413, 414, 429, 503];
const OK_STATUSES = [200, 201, 204, 206, 304];

/** What a well-formed name the server reports back (`profile.unknown`) may look like. */
const REPORTABLE = /^(?:[a-z0-9][a-z0-9-]{0,63}|bit-\d+)$/;

/** Removes the one echo the contract asks for (unknown capability names, reported back) after checking its form. */
function withoutSanctionedEcho(json: unknown): unknown {
  if (typeof json !== 'object' || json === null) return json;
  const copy = structuredClone(json) as Record<string, Record<string, unknown>>;
  for (const holder of [copy.profile, (copy.error as Record<string, unknown> | undefined)?.profile]) {
    if (holder && typeof holder === 'object' && 'unknown' in holder) {
      const unknown = (holder as { unknown: unknown }).unknown;
      expect(Array.isArray(unknown)).toBe(true);
      for (const name of unknown as string[]) expect(name).toMatch(REPORTABLE);
      delete (holder as { unknown?: unknown }).unknown;
    }
  }
  return copy;
}

export interface Published {
  /** Published identity bytes by lowercase hex SHA-256. */
  blobs: Map<string, Uint8Array>;
}

export function publishedOf(...all: Uint8Array[]): Published {
  return { blobs: new Map(all.map((b) => [hexOf(b), b])) };
}

/**
 * What every answer to any input must satisfy: a documented status; errors as JSON
 * `{"error":{"code","message"}}` (503 and 429 with Retry-After); no taint echoed in the body or
 * headers; wasm bodies exactly one published blob (decoded), or an exact slice of one (206);
 * nothing from outside the store.
 */
export function expectSafe(answer: Answer, req: Req, published: Published, taints: string[] = []): void {
  const where = `${req.method ?? 'GET'} ${req.path.slice(0, 200)} → ${answer.status}`;
  expect([...OK_STATUSES, ...ERROR_STATUSES], where).toContain(answer.status);
  const head = req.method === 'HEAD';
  const type = answer.headers.get('content-type') ?? '';
  const text = new TextDecoder().decode(answer.body);

  if (answer.status >= 400) {
    if ([429, 503].includes(answer.status)) expect(answer.headers.get('retry-after'), where).toMatch(/^\d+$/);
    if (!head) {
      expect(type, where).toMatch(/^application\/json/);
      const json = JSON.parse(text) as { error: { code: unknown; message: unknown } };
      expect(typeof json.error.code, where).toBe('string');
      expect(typeof json.error.message, where).toBe('string');
    }
  }
  if (!head && type === 'application/wasm' && answer.status === 200) {
    const bytes = decoded(answer);
    const hex = hexOf(bytes);
    expect(published.blobs.has(hex), `${where}: served bytes are a published blob`).toBe(true);
    const digest = Buffer.from(hex, 'hex').toString('base64');
    expect(answer.headers.get('content-digest')).toBe(`sha-256=:${digest}:`);
  }
  if (!head && answer.status === 206) {
    const blob = /^"sha256-([0-9a-f]{64})"$/.exec(answer.headers.get('etag') ?? '')?.[1] ?? '';
    const whole = published.blobs.get(blob);
    expect(whole, `${where}: a range of a published blob`).toBeDefined();
    const [, a, b, size] = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(answer.headers.get('content-range') ?? '') ?? [];
    expect(Number(size)).toBe(whole!.length);
    expect(Buffer.from(answer.body).equals(Buffer.from(whole!.subarray(Number(a), Number(b) + 1)))).toBe(
      true,
    );
  }
  if (answer.status === 304 || answer.status === 204) expect(answer.body.length).toBe(0);
  if (answer.status === 204) expect(req.method, `${where}: only CORS preflight is empty`).toBe('OPTIONS');

  // Nothing from beside the store, and no taint echoed (JSON minus the sanctioned report; headers).
  expect(text).not.toContain('CANARY');
  expect(text).not.toContain(DECOY_MODULE);
  const visible =
    type.startsWith('application/json') && text
      ? JSON.stringify(withoutSanctionedEcho(JSON.parse(text)))
      : text;
  const headerText = [...answer.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  for (const taint of taints) {
    expect(visible, `${where}: body echoes input`).not.toContain(taint);
    expect(headerText, `${where}: headers echo input`).not.toContain(taint);
  }
}

// --- hostile input --------------------------------------------------------------------------------

/**
 * A taint: a marker that cannot occur in weft's own answers (`qz` is in no message, hex or name
 * weft writes), embedded in hostile input so an echo can be found wherever it lands.
 */
export const taint = fc.stringMatching(/^[a-z0-9]{6}$/).map((s) => `qz${s}`);

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const anyText = fc.string({ unit: 'binary', maxLength: 40 });

const TRAVERSALS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '%252e%252e',
  '..%2f..%2f..%2fmanifest.json',
  '..%252f..%252fcanary.txt',
  '%2e%2e%5c%2e%2e%5ccanary.txt',
  '..\\..\\canary.txt',
  '....//....//',
  '%00',
  'demo%00.wasm',
  '%c0%ae%c0%ae',
  '%ef%bc%8e%ef%bc%8e',
  `sha256-${'0'.repeat(64)}.wasm/..`,
  'constructor',
  '__proto__',
  'prototype',
  'hasownproperty',
  'tostring',
];

/** Path segments: valid names, traversal and encoding tricks, prototype names, junk, very long names. */
export const segment = (taintArb = taint) =>
  fc.oneof(
    { arbitrary: fc.constantFrom('demo', 'big', 'single', 'sab', 'set', 'wasi-threads'), weight: 3 },
    { arbitrary: fc.constantFrom(...TRAVERSALS), weight: 4 },
    { arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,70}$/), weight: 2 },
    { arbitrary: taintArb, weight: 2 },
    { arbitrary: fc.tuple(printable, taintArb, printable).map(([a, t, b]) => a + t + b), weight: 2 },
    { arbitrary: fc.tuple(anyText, taintArb).map(([a, t]) => encodeURIComponent(a) + t), weight: 2 },
    { arbitrary: fc.integer({ min: 60, max: 3000 }).map((n) => 'a'.repeat(n)), weight: 1 },
  );

const knownCap = fc.constantFrom(...CAPABILITIES);

/** A readable capability list, sometimes hostile: known names, unknown names, taints, junk, spaces. */
export const capsList = fc
  .array(
    fc.oneof(
      { arbitrary: knownCap, weight: 5 },
      { arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/), weight: 2 },
      { arbitrary: taint, weight: 1 },
      { arbitrary: fc.tuple(printable, taint).map(([a, t]) => a + t), weight: 1 },
      {
        arbitrary: fc.constantFrom('', ' ', 'THREADS', 'simd ', '<script>', '-x', 'a'.repeat(70)),
        weight: 1,
      },
    ),
    { maxLength: 12 },
  )
  .map((items) => items.join(','));

/** A profile token: well-formed, mutated, or junk. */
export const profileToken = fc.oneof(
  fc.stringMatching(/^1[A-H][A-Za-z0-9_-]{0,12}$/),
  fc.stringMatching(/^[0-9][A-Za-z0-9_-]{0,80}$/),
  fc.tuple(printable, taint).map(([a, t]) => a + t),
  fc.constantFrom('', '1', '1A', '1AA', '2AB', '1Z', '1A/', `1A${'_'.repeat(80)}`),
);

/** Header values a client could send (printable ASCII; fetch trims the ends). */
export const headerValue = fc.oneof(
  printable,
  fc.tuple(printable, taint, printable).map((p) => p.join('')),
);

export const rangeHeader = fc.oneof(
  fc.tuple(fc.nat(70_000), fc.nat(70_000)).map(([a, b]) => `bytes=${a}-${b}`),
  fc.nat(70_000).map((a) => `bytes=${a}-`),
  fc.nat(70_000).map((n) => `bytes=-${n}`),
  fc.constantFrom(
    'bytes=0-0',
    'bytes=-0',
    'bytes=0-7,9-12',
    'bytes=7-3',
    'bytes=--1',
    'items=0-1',
    'bytes=99999999999999999999-',
  ),
  headerValue,
);

export const acceptEncoding = fc.oneof(
  fc
    .subarray(['br', 'gzip', 'identity', 'deflate', '*', 'zstd'])
    .chain((names) =>
      fc
        .tuple(
          ...names.map((n) =>
            fc
              .option(fc.constantFrom('0', '0.5', '1', '1.0', 'x', '-1'), { nil: undefined })
              .map((q) => (q ? `${n};q=${q}` : n)),
          ),
        )
        .map((parts) => parts.join(', ')),
    ),
  headerValue,
);

export const ifNoneMatch = (etags: string[]) =>
  fc.oneof(
    fc.constantFrom(...etags, '*', 'W/"x"', '""', '"sha256-"'),
    fc.constantFrom(...etags).map((e) => `W/${e}`),
    fc.tuple(fc.constantFrom(...etags), headerValue).map(([e, h]) => `${h}, ${e}`),
    headerValue,
  );
