import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toBase64 } from '../src/contract/address.js';
import { PIECE_SIZE } from '../src/contract/pieces.js';
import { dataModule } from '../src/inspect/wasm-builder.js';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { publish } from '../src/registry/publish.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { load, type RemoteModule } from '../src/sdk/index.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

// Four whole pieces and a short fifth: a valid module that is nearly all one data segment, so a
// flipped bit anywhere past its first bytes leaves it valid and only the hashes can refuse it.
// Its start function calls `env.started`: instantiating it is what calls that import.
const SIZE = 4 * PIECE_SIZE + 12_345;
/** Where a bit is flipped in `size` bytes: inside every piece, and the very last byte. */
const flips = (size: number) => [
  ...Array.from({ length: Math.ceil(size / PIECE_SIZE) }, (_, k) => k * PIECE_SIZE + 777),
  size - 1,
];

/** The record's piece list altered the ways a corrupt or hostile record could be. */
function alteredLists(pieces: string): Record<string, string | undefined> {
  const raw = Uint8Array.from(atob(pieces), (c) => c.charCodeAt(0));
  const digest = (k: number) => raw.subarray(k * 32, k * 32 + 32);
  const join = (...ds: Uint8Array[]) => {
    const out = new Uint8Array(ds.length * 32);
    ds.forEach((d, i) => {
      out.set(d, i * 32);
    });
    return toBase64(out);
  };
  const all = Array.from({ length: raw.length / 32 }, (_, k) => digest(k));
  return {
    reordered: join(all[1]!, all[0]!, ...all.slice(2)),
    truncated: join(...all.slice(0, -1)),
    extended: join(...all, all.at(-1)!),
    'one digest altered': join(...all.slice(0, 2), fromHex('00'.repeat(32)), ...all.slice(3)),
  };
}

describe('piece hashes: every piece checked as it streams, and the piece list itself', () => {
  let server: RunningServer;
  let bytes: Uint8Array;
  let manifest: RemoteModule;
  beforeAll(async () => {
    bytes = dataModule(SIZE, 5, 'check', 0x51ece, true);
    const store = fsStore({ dir: mkdtempSync(join(tmpdir(), 'weft-pieces-')) });
    await publish(store, { module: 'pieces', variant: 'single', bytes, version: '1.0.0' });
    server = await startServer({ store, port: 0 });
    manifest = (await (await fetch(`${server.url}/v1/modules/pieces`)).json()) as RemoteModule;
  });
  afterAll(() => server.close());

  it('the build has as many pieces as its size says, and each flip leaves it a valid module', () => {
    expect(Math.ceil(bytes.length / PIECE_SIZE)).toBe(5);
    const { pieces } = manifest.variants[0]!;
    expect(Uint8Array.from(atob(pieces ?? ''), (c) => c.charCodeAt(0)).length).toBe(5 * 32);
    for (const at of flips(bytes.length)) {
      const copy = bytes.slice();
      copy[at] = copy[at]! ^ 0x01;
      expect(WebAssembly.validate(copy), `flipped at ${at}`).toBe(true);
    }
  });

  /** What a case does: flip a bit at `flip` of the body, and/or load from a manifest with this piece list. */
  interface Case {
    flip?: number;
    pieces?: string | null;
  }
  // Runs in Node and in the page alike (no closure over test scope): load() with what the case says.
  async function attempt(a: Case & { server: string; manifest: RemoteModule }) {
    type Load = (n: string, o: object) => Promise<{ instance: WebAssembly.Instance }>;
    const sdk = (globalThis as unknown as { sdk?: { load: Load } }).sdk;
    const run = sdk ? sdk.load : (a as unknown as { load: Load }).load;
    const altering = async (input: RequestInfo | URL, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (a.flip === undefined || !(res.headers.get('content-type') ?? '').startsWith('application/wasm'))
        return res;
      const got = new Uint8Array(await res.arrayBuffer());
      got[a.flip] = got[a.flip]! ^ 0x01;
      return new Response(got, { status: res.status, headers: res.headers });
    };
    let manifest: RemoteModule | undefined;
    if (a.pieces !== undefined) {
      const variant = { ...a.manifest.variants[0]! };
      if (a.pieces === null) delete variant.pieces;
      else variant.pieces = a.pieces;
      manifest = { ...a.manifest, variants: [variant] };
    }
    let instantiated = false;
    try {
      const result = await run('pieces', {
        server: a.server,
        profile: { host: typeof window === 'undefined' ? 'node' : 'browser', caps: [] },
        fetch: altering,
        ...(manifest ? { manifest } : {}),
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

  /** Every case, with what it must end in. */
  function cases(): [string, Case, 'loads' | 'refused'][] {
    const lists = alteredLists(manifest.variants[0]!.pieces!);
    return [
      ['intact, negotiated', {}, 'loads'],
      ['intact, from the manifest', { pieces: manifest.variants[0]!.pieces! }, 'loads'],
      ['intact, an older record without pieces', { pieces: null }, 'loads'],
      ...flips(bytes.length).map((at): [string, Case, 'refused'] => [
        `a bit flipped at byte ${at}`,
        { flip: at },
        'refused',
      ]),
      ...flips(bytes.length)
        .filter((_, i) => i % 2 === 0)
        .map((at): [string, Case, 'refused'] => [
          `a bit flipped at byte ${at}, an older record without pieces`,
          { flip: at, pieces: null },
          'refused',
        ]),
      ...Object.entries(lists).map(([how, pieces]): [string, Case, 'refused'] => [
        `intact bytes, the piece list ${how}`,
        { pieces: pieces! },
        'refused',
      ]),
    ];
  }

  function judge(what: string, got: Awaited<ReturnType<typeof attempt>>, want: 'loads' | 'refused') {
    if (want === 'loads') expect(got, what).toEqual({ instantiated: true, check: 5, error: '' });
    else {
      expect(got.error, what).toMatch(/cannot load pieces.*integrity mismatch/);
      expect(got.instantiated, what).toBe(false);
    }
  }

  it('in Node: loads the intact build, refuses a flip in any piece and any altered piece list, never instantiating it', async () => {
    for (const [what, c, want] of cases())
      judge(what, await attempt({ ...c, server: server.url, manifest, load } as never), want);
  });

  describeWith('Chromium', chromiumPath(), CHROMIUM_INSTALL, () => {
    it('in an isolated page: the same, where only the piece hashes can see a flip before the last byte', async () => {
      const pages = await startPageServer({
        '/p.html': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>p</title>' },
      });
      const browser = await launchChromium();
      try {
        const tab = await browser.newPage();
        await tab.goto(`${pages.origin}/isolated/p.html`);
        // A string, so the test runner does not rewrite the page's dynamic import.
        await tab.evaluate(`import('${server.url}/v1/sdk.js').then((m) => { window.sdk = m; })`);
        for (const [what, c, want] of cases())
          judge(what, await tab.evaluate(attempt, { ...c, server: server.url, manifest }), want);
      } finally {
        await browser.close();
        await pages.close();
      }
    });
  });
});
