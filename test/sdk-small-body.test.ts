import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sriOfBytes } from '../src/contract/address.js';
import { dataModule } from '../src/inspect/wasm-builder.js';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { publish } from '../src/registry/publish.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { LoadError, load, type Progress } from '../src/sdk/index.js';
import { IntegrityError, instantiateVerified, SMALL_BODY } from '../src/sdk/verify.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

// A small build (well under SMALL_BODY) and a large one (over it), nearly all one data segment:
// a flipped bit past the first bytes leaves a valid module only the hash can refuse. Their start
// function calls `env.started`: instantiating one is what calls that import.
const SMALL = 40_000;
const LARGE = SMALL_BODY + 5_000;
const small = dataModule(SMALL, 3, 'check', 0x5a11, true);
const large = dataModule(LARGE, 4, 'check', 0x1a29e, true);
const PROFILE = { host: 'node' as const, caps: [] };

/** A fetch that flips a bit in the wasm body (when `flip`) and sets or drops headers. */
const altering =
  (flip: boolean, headers: Record<string, string | null> = {}): typeof fetch =>
  async (input, init) => {
    const res = await fetch(input, init);
    if (!(res.headers.get('content-type') ?? '').startsWith('application/wasm')) return res;
    const got = new Uint8Array(await res.arrayBuffer());
    if (flip) got[got.length - 100] = got[got.length - 100]! ^ 0x01;
    const h = new Headers(res.headers);
    for (const [k, v] of Object.entries(headers)) v === null ? h.delete(k) : h.set(k, v);
    return new Response(got, { status: res.status, headers: h });
  };

/** Counts the streaming compiles: the small-body path makes none. */
function countStreaming(): () => number {
  const a = vi.spyOn(WebAssembly, 'instantiateStreaming');
  const b = vi.spyOn(WebAssembly, 'compileStreaming');
  return () => a.mock.calls.length + b.mock.calls.length;
}

describe('a small body is read whole, digested once, and compiled from verified bytes', () => {
  let server: RunningServer;
  beforeAll(async () => {
    const store = fsStore({ dir: mkdtempSync(join(tmpdir(), 'weft-small-')) });
    await publish(store, { module: 'small', variant: 'single', bytes: small, version: '1.0.0' });
    await publish(store, { module: 'large', variant: 'single', bytes: large, version: '1.0.0' });
    server = await startServer({ store, port: 0 });
  });
  afterAll(() => server.close());
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('the builds are what the tests need: one under SMALL_BODY, one over, each flip still valid', () => {
    expect(small.length).toBeLessThanOrEqual(SMALL_BODY);
    expect(large.length).toBeGreaterThan(SMALL_BODY);
    const copy = small.slice();
    copy[copy.length - 100] = copy[copy.length - 100]! ^ 0x01;
    expect(WebAssembly.validate(copy)).toBe(true);
  });

  it('on Node, a small build loads without a streaming compile, its check answers, and progress reaches its last byte', async () => {
    const streamed = countStreaming();
    const seen: Progress[] = [];
    let started = 0;
    const result = await load('small', {
      server: server.url,
      profile: PROFILE,
      onProgress: (p) => seen.push(p),
      imports: () => ({ env: { started: () => started++ } }),
    });
    expect((result.instance!.exports.check as () => number)()).toBe(3);
    expect(started).toBe(1);
    expect(seen.at(-1)).toMatchObject({ variant: 'single', loaded: small.length });
    expect(streamed()).toBe(0);
  });

  it('on Node, instantiate: false gives the compiled module only, as the streaming path does', async () => {
    const result = await load('small', { server: server.url, profile: PROFILE, instantiate: false });
    expect(result.instance).toBeUndefined();
    expect(result.module).toBeInstanceOf(WebAssembly.Module);
  });

  it('on Node, a small build with a flipped bit is refused with an IntegrityError, its imports never asked for', async () => {
    let asked = false;
    let started = false;
    const attempt = load('small', {
      server: server.url,
      profile: PROFILE,
      fetch: altering(true),
      imports: () => {
        asked = true;
        return { env: { started: () => (started = true) } };
      },
    });
    await expect(attempt).rejects.toThrow(LoadError);
    await expect(attempt).rejects.toThrow(/cannot load small.*integrity mismatch/);
    expect(asked).toBe(false);
    expect(started).toBe(false);

    const res = await altering(true)((await record('small')).url);
    let direct = false;
    const verified = instantiateVerified(res, { integrity: await sriOfBytes(small) }, 'single', {
      env: { started: () => (direct = true) },
    });
    await expect(verified).rejects.toThrow(IntegrityError);
    expect(direct).toBe(false);
  });

  it("on Node, the weft server's compressed transfer is still read whole: the record's size says it is small", async () => {
    const streamed = countStreaming();
    const res = await fetch((await record('small')).url);
    expect(res.headers.get('content-encoding')).toMatch(/^(br|gzip)$/);
    const { instance } = await instantiateVerified(res, await record('small'), 'single', noop());
    expect((instance!.exports.check as () => number)()).toBe(3);
    expect(streamed()).toBe(0);
  });

  it('on Node, a large build takes the streaming path, and so does a body whose size is not known small', async () => {
    const streamed = countStreaming();
    const result = await load('large', { server: server.url, profile: PROFILE, imports: noop() });
    expect((result.instance!.exports.check as () => number)()).toBe(4);
    expect(streamed()).toBe(1);
    // No record size: an encoded transfer's Content-Length is not the body's, nor is an absent one.
    for (const headers of [
      { 'content-encoding': 'gzip', 'content-length': '100' },
      { 'content-encoding': null, 'content-length': null },
    ]) {
      const res = await altering(false, headers)((await record('small')).url);
      const { instance } = await instantiateVerified(
        res,
        { integrity: await sriOfBytes(small) },
        'single',
        noop(),
      );
      expect((instance!.exports.check as () => number)(), JSON.stringify(headers)).toBe(3);
    }
    expect(streamed()).toBe(3);
  });

  it('on Node, a Content-Length that lies (shorter or longer than the bytes) only picks the path: the bytes are still checked', async () => {
    for (const [bytes, claim] of [
      [small, 10],
      [small, SMALL_BODY * 4],
      [large, 10],
      [large, SMALL_BODY - 1],
    ] as const) {
      const what = `${bytes.length} B claiming ${claim}`;
      const intact = new Response(bytes.slice(), { headers: { 'content-length': String(claim) } });
      const { instance } = await instantiateVerified(
        intact,
        { integrity: await sriOfBytes(bytes) },
        'single',
        noop(),
      );
      expect((instance!.exports.check as () => number)(), what).toBe(bytes === small ? 3 : 4);

      const flipped = bytes.slice();
      flipped[flipped.length - 100] = flipped[flipped.length - 100]! ^ 0x01;
      let started = false;
      const attempt = instantiateVerified(
        new Response(flipped, { headers: { 'content-length': String(claim) } }),
        { integrity: await sriOfBytes(bytes) },
        'single',
        { env: { started: () => (started = true) } },
      );
      await expect(attempt, what).rejects.toThrow(IntegrityError);
      expect(started, what).toBe(false);
    }
    // Through load(): the record's size decides, whatever the header says.
    for (const claim of ['10', String(SMALL_BODY * 4)]) {
      const result = await load('small', {
        server: server.url,
        profile: PROFILE,
        fetch: altering(false, { 'content-length': claim, 'content-encoding': null }),
        imports: noop(),
      });
      expect((result.instance!.exports.check as () => number)(), claim).toBe(3);
    }
  });

  const noop = () => ({ env: { started: () => {} } });
  const record = async (name: string) =>
    (
      (await (await fetch(`${server.url}/v1/modules/${name}`)).json()) as {
        variants: { url: string; integrity: string; size: number }[];
      }
    ).variants[0]!;

  describeWith('Chromium', chromiumPath(), CHROMIUM_INSTALL, () => {
    // Runs in the page: load() (with a fetch that may flip a bit), counting streaming compiles.
    async function inPage(a: { server: string; name: string; flip: boolean }) {
      type Load = (n: string, o: object) => Promise<{ instance: WebAssembly.Instance }>;
      const { load } = (window as unknown as { sdk: { load: Load } }).sdk;
      let streamed = 0;
      const w = WebAssembly as unknown as Record<string, (...x: unknown[]) => unknown>;
      const plain = { i: w.instantiateStreaming!, c: w.compileStreaming! };
      w.instantiateStreaming = (...x) => {
        streamed++;
        return plain.i.apply(WebAssembly, x);
      };
      w.compileStreaming = (...x) => {
        streamed++;
        return plain.c.apply(WebAssembly, x);
      };
      const fetching = async (input: RequestInfo, init?: RequestInit) => {
        const res = await fetch(input, init);
        if (!(res.headers.get('content-type') ?? '').startsWith('application/wasm')) return res;
        if (!a.flip) return res;
        const got = new Uint8Array(await res.arrayBuffer());
        got[got.length - 100] = got[got.length - 100]! ^ 0x01;
        return new Response(got, { status: res.status, headers: res.headers });
      };
      let started = 0;
      try {
        const result = await load(a.name, {
          server: a.server,
          profile: { host: 'browser', caps: [] },
          fetch: fetching,
          imports: { env: { started: () => started++ } },
        });
        return {
          started,
          streamed,
          check: (result.instance.exports.check as () => number)(),
          error: '',
        };
      } catch (err) {
        return { started, streamed, check: -1, error: String(err) };
      } finally {
        w.instantiateStreaming = plain.i;
        w.compileStreaming = plain.c;
      }
    }

    it('in an isolated page: a small build (sent compressed) loads without a streaming compile, a flipped bit is refused uninstantiated, a large build streams', async () => {
      const pages = await startPageServer({
        '/p.html': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>p</title>' },
      });
      const browser = await launchChromium();
      try {
        const tab = await browser.newPage();
        // Content-Encoding is not exposed to a cross-origin page's script: seen here, from outside.
        const encodings: (string | undefined)[] = [];
        tab.on('response', (r) => {
          if (r.url().includes('/v1/modules/small/wasm')) encodings.push(r.headers()['content-encoding']);
        });
        await tab.goto(`${pages.origin}/isolated/p.html`);
        // A string, so the test runner does not rewrite the page's dynamic import.
        await tab.evaluate(`import('${server.url}/v1/sdk.js').then((m) => { window.sdk = m; })`);
        const at = { server: server.url };
        expect(await tab.evaluate(inPage, { ...at, name: 'small', flip: false })).toMatchObject({
          started: 1,
          streamed: 0,
          check: 3,
          error: '',
        });
        const flipped = await tab.evaluate(inPage, { ...at, name: 'small', flip: true });
        expect(flipped).toMatchObject({ started: 0, streamed: 0 });
        expect(flipped.error).toMatch(/cannot load small.*integrity mismatch/);
        expect(await tab.evaluate(inPage, { ...at, name: 'large', flip: false })).toMatchObject({
          started: 1,
          streamed: 1,
          check: 4,
        });
        await expect.poll(() => encodings.length).toBe(2);
        expect(encodings).toEqual([
          expect.stringMatching(/^(br|gzip)$/),
          expect.stringMatching(/^(br|gzip)$/),
        ]);
      } finally {
        await browser.close();
        await pages.close();
      }
    });
  });
});
