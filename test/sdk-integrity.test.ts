import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dataModule } from '../src/inspect/wasm-builder.js';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { publish } from '../src/registry/publish.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { LoadError, load, type Progress } from '../src/sdk/index.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

const NODE_PROFILE = {
  host: 'node' as const,
  caps: ['shared-memory', 'threads', 'workers', 'wasi-threads'] as never[],
};

/** Flips one byte in every wasm body: what an altered blob or a tampering middlebox would deliver. */
const tampering: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (!(res.headers.get('content-type') ?? '').startsWith('application/wasm')) return res;
  const bytes = new Uint8Array(await res.arrayBuffer());
  bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0xff;
  return new Response(bytes, { status: res.status, headers: res.headers });
};

describe('the SDK refuses altered bytes and never instantiates them', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('fails with a clear error naming the module when every variant arrives altered, without instantiating', async () => {
    server = await startServer({ port: 0, storeDir: mkdtempSync(join(tmpdir(), 'weft-sdk-int-')) });
    let instantiated = false;
    const attempt = load('demo', {
      server: server.url,
      profile: NODE_PROFILE,
      fetch: tampering,
      imports: () => {
        instantiated = true;
        return {};
      },
    });
    await expect(attempt).rejects.toThrow(LoadError);
    await expect(attempt).rejects.toThrow(/cannot load demo.*integrity mismatch/);
    const err = (await attempt.catch((e: unknown) => e)) as LoadError;
    expect(err.details.failed?.map((f) => f.variant)).toEqual(
      expect.arrayContaining(['sab', 'wasi-threads', 'single']),
    );
    expect(instantiated).toBe(false);
  });

  it('falls back to the next acceptable variant when the chosen blob was altered in the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-sdk-int-'));
    // First start seeds the demo; alter the sab blob on disk; a fresh server has nothing cached.
    server = await startServer({ port: 0, storeDir: dir });
    await server.close();
    const record = JSON.parse(readFileSync(join(dir, 'modules', 'demo.json'), 'utf8'));
    const sab = record.variants.find((v: { name: string }) => v.name === 'sab');
    // The blob and its precompressed copies (an intact copy would still be served, rightly).
    for (const suffix of ['.wasm', '.wasm.br', '.wasm.gz']) {
      const path = join(dir, 'blobs', `${sab.blob}${suffix}`);
      const bytes = readFileSync(path);
      const at = bytes.length - 2;
      bytes[at] = bytes[at]! ^ 0xff;
      writeFileSync(path, bytes);
    }
    server = await startServer({ port: 0, storeDir: dir });

    const result = await load('demo', { server: server.url, profile: NODE_PROFILE, instantiate: false });
    expect(result.variant.name).toBe('wasi-threads');
    expect(result.failed.map((f) => f.variant)).toContain('sab');
  });
});

const MiB = 1024 * 1024;
const SIZE = 4 * MiB;

/**
 * A valid 4 MiB module, nearly all one data segment: flipping a bit anywhere in its last MiB
 * leaves it valid, so only the hash can tell. Its export `check()` returns 4, and its start
 * function calls the import `env.started`: instantiating it is what calls that import.
 */
const dataBuild = (): Uint8Array => dataModule(SIZE, 4, 'check', undefined, true);
const noop = { env: { started: () => {} } };

// Where the bytes are altered: the last byte, the first of the last MiB, and one between.
const OFFSETS = [1, MiB, 333_333];

describe('a multi-MB build altered only in its last MiB', () => {
  let server: RunningServer;
  let bytes: Uint8Array;
  beforeAll(async () => {
    bytes = dataBuild();
    const store = fsStore({ dir: mkdtempSync(join(tmpdir(), 'weft-sdk-large-')) });
    await publish(store, { module: 'large', variant: 'single', bytes, version: '1.0.0' });
    server = await startServer({ store, port: 0 });
  });
  afterAll(() => server.close());

  /** A fetch that flips one bit `back` bytes from the end of the wasm, and may relabel its type. */
  const altering =
    (back: number | undefined, type?: string): typeof fetch =>
    async (input, init) => {
      const res = await fetch(input, init);
      if (!(res.headers.get('content-type') ?? '').startsWith('application/wasm')) return res;
      const got = new Uint8Array(await res.arrayBuffer());
      if (back !== undefined) got[got.length - back] = got[got.length - back]! ^ 0x01;
      const headers = new Headers(res.headers);
      if (type) headers.set('content-type', type);
      return new Response(got, { status: res.status, headers });
    };

  it('the alterations leave a valid module (only the hash can refuse it)', () => {
    for (const back of OFFSETS) {
      const copy = bytes.slice();
      copy[copy.length - back] = copy[copy.length - back]! ^ 0x01;
      expect(WebAssembly.validate(copy)).toBe(true);
    }
  });

  for (const type of ['application/wasm', 'application/octet-stream']) {
    const path = type === 'application/wasm' ? 'compiled as it streams' : 'hashed, then compiled';
    it(`on Node, ${path}: loads the intact build and reports progress to the last byte`, async () => {
      const seen: Progress[] = [];
      const result = await load('large', {
        server: server.url,
        profile: { host: 'node', caps: [] },
        fetch: altering(undefined, type),
        onProgress: (p) => seen.push(p),
        imports: noop,
      });
      expect((result.instance!.exports.check as () => number)()).toBe(4);
      expect(seen.at(-1)).toMatchObject({ variant: 'single', loaded: bytes.length });
    });

    it(`on Node, ${path}: refuses the build altered ${OFFSETS.join(', ')} bytes from its end, never instantiating it`, async () => {
      for (const back of OFFSETS) {
        let instantiated = false;
        const attempt = load('large', {
          server: server.url,
          profile: { host: 'node', caps: [] },
          fetch: altering(back, type),
          imports: {
            env: {
              started: () => {
                instantiated = true;
              },
            },
          },
        });
        await expect(attempt, `altered ${back} bytes from the end`).rejects.toThrow(
          /cannot load large.*integrity mismatch/,
        );
        expect(instantiated).toBe(false);
      }
    });
  }

  describeWith('Chromium', chromiumPath(), CHROMIUM_INSTALL, () => {
    // Runs in the page: load() with a fetch that alters the wasm (or not); says what happened.
    async function inPage(a: { server: string; back: number | undefined; type: string }) {
      type Load = (n: string, o: object) => Promise<{ instance: WebAssembly.Instance }>;
      const { load } = (window as unknown as { sdk: { load: Load } }).sdk;
      const altering = async (input: RequestInfo, init?: RequestInit) => {
        const res = await fetch(input, init);
        if (!(res.headers.get('content-type') ?? '').startsWith('application/wasm')) return res;
        const got = new Uint8Array(await res.arrayBuffer());
        if (a.back !== undefined) got[got.length - a.back] = got[got.length - a.back]! ^ 0x01;
        const headers = new Headers(res.headers);
        headers.set('content-type', a.type);
        return new Response(got, { status: res.status, headers });
      };
      let instantiated = false;
      try {
        const result = await load('large', {
          server: a.server,
          profile: { host: 'browser', caps: [] },
          fetch: altering,
          imports: {
            env: {
              started: () => {
                instantiated = true;
              },
            },
          },
        });
        return { instantiated, check: (result.instance.exports.check as () => number)(), error: '' };
      } catch (err) {
        return { instantiated, check: -1, error: String(err) };
      }
    }

    it('in an isolated page, compiled as it streams or hashed first: loads the intact build and refuses each alteration of its last MiB, never instantiating it', async () => {
      const pages = await startPageServer({
        '/p.html': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>p</title>' },
      });
      const browser = await launchChromium();
      try {
        const tab = await browser.newPage();
        await tab.goto(`${pages.origin}/isolated/p.html`);
        // A string, so the test runner does not rewrite the page's dynamic import.
        await tab.evaluate(`import('${server.url}/v1/sdk.js').then((m) => { window.sdk = m; })`);
        for (const type of ['application/wasm', 'application/octet-stream']) {
          const intact = await tab.evaluate(inPage, { server: server.url, back: undefined, type });
          expect(intact, type).toEqual({ instantiated: true, check: 4, error: '' });
          for (const back of OFFSETS) {
            const got = await tab.evaluate(inPage, { server: server.url, back, type });
            expect(got.error, `${type}, altered ${back} bytes from the end`).toMatch(
              /cannot load large.*integrity mismatch/,
            );
            expect(got.instantiated).toBe(false);
          }
        }
      } finally {
        await browser.close();
        await pages.close();
      }
    });
  });
});
