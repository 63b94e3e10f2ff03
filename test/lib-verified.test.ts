/**
 * What `weft/ffmpeg` (and `weft/onnxruntime`, through the same verifiedBuild) hands a library, in
 * Node on the real ffmpeg.wasm cores published as two variants: blob URLs of exactly the published
 * bytes of one build (its wasm, glue and worker, never another build's), nothing compiled by weft
 * (the library compiles its own), and a build whose wasm or glue was tampered with in transit
 * passed over for the next one, with its own files.
 */

import { resolveObjectURL } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { sriOfBytes } from '../src/contract/address.js';
import { ffmpegURLs } from '../src/ffmpeg/index.js';
import type { Profile } from '../src/profile/caps.js';
import type { RemoteModule } from '../src/sdk/load.js';
import { REAL_BUILDS_INSTALL, realBuild } from './harness/builds.js';
import { type LibStage, libStage } from './harness/libs.js';
import { describeWith } from './harness/require.js';

const names = ['ffmpeg-core.wasm', 'ffmpeg-core.js', 'ffmpeg-core.worker.js'];
const files = (() => {
  const mt = names.map((f) => realBuild('@ffmpeg/core-mt@0.12.10', `dist/esm/${f}`));
  const st = names.slice(0, 2).map((f) => realBuild('@ffmpeg/core@0.12.10', `dist/esm/${f}`));
  return [...mt, ...st].every(Boolean) ? { mt: mt as string[], st: st as string[] } : null;
})();

/** The bytes behind a blob URL this process made. */
const bytesOf = async (url: string | undefined) =>
  new Uint8Array(await resolveObjectURL(url!)!.arrayBuffer());

describeWith('weft/ffmpeg in Node on the real cores', files, REAL_BUILDS_INSTALL, (f) => {
  let stage: LibStage;
  let manifest: RemoteModule;
  beforeAll(async () => {
    stage = await libStage({ module: 'ffmpeg', build: { 'core-mt': f.mt, core: f.st }, pages: () => ({}) });
    manifest = (await (await fetch(`${stage.weft.url}/v1/modules/ffmpeg`)).json()) as RemoteModule;
  }, 60_000);
  afterAll(() => stage?.close());
  afterEach(() => vi.restoreAllMocks());

  // An engine that can run either core: core-mt is the first choice.
  const profile = (): Profile => ({
    host: 'browser',
    caps: [...new Set(manifest.variants.flatMap((v) => v.requires))],
  });
  const mt = () => ({
    wasm: readFileSync(f.mt[0]!),
    glue: readFileSync(f.mt[1]!),
    worker: readFileSync(f.mt[2]!),
  });
  const st = () => ({ wasm: readFileSync(f.st[0]!), glue: readFileSync(f.st[1]!) });

  /** A fetch that flips one byte of what `pick` selects (core-mt's wasm, say), as a proxy in the way would. */
  const tampering =
    (pick: (url: string, res: Response) => boolean): typeof fetch =>
    async (input, init) => {
      const res = await fetch(input, init);
      if (!pick(String(input), res)) return res;
      const bytes = new Uint8Array(await res.arrayBuffer());
      bytes[bytes.length >> 1]! ^= 0x01;
      return new Response(bytes, { status: res.status, headers: res.headers });
    };

  for (const described of [false, true])
    it(`hands over the published bytes of core-mt, compiling nothing itself (${described ? 'cached manifest' : 'negotiated'})`, async () => {
      const compiles = (['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming'] as const).map(
        (fn) => vi.spyOn(WebAssembly, fn),
      );
      const seen: number[] = [];
      const urls = await ffmpegURLs('ffmpeg', {
        server: stage.weft.url,
        profile: profile(),
        ...(described && { manifest }),
        onProgress: (p) => seen.push(p.loaded),
      });
      expect(urls.variant.name).toBe('core-mt');
      const want = mt();
      expect(Buffer.from(await bytesOf(urls.wasmURL)).equals(want.wasm)).toBe(true);
      expect(Buffer.from(await bytesOf(urls.coreURL)).equals(want.glue)).toBe(true);
      expect(Buffer.from(await bytesOf(urls.workerURL)).equals(want.worker)).toBe(true);
      expect(resolveObjectURL(urls.wasmURL)!.type).toBe('application/wasm');
      expect(await sriOfBytes(await bytesOf(urls.wasmURL))).toBe(urls.variant.integrity);
      for (const spy of compiles) expect(spy).not.toHaveBeenCalled();
      expect(seen.at(-1)).toBe(want.wasm.length);
    });

  it("passes over core-mt when its wasm was altered in transit, for core's own wasm and glue", async () => {
    const mtVariant = manifest.variants.find((v) => v.name === 'core-mt')!;
    for (const given of [{}, { manifest }]) {
      const urls = await ffmpegURLs('ffmpeg', {
        server: stage.weft.url,
        profile: profile(),
        ...given,
        fetch: tampering(
          (url, res) => url === mtVariant.url || res.headers.get('Wasm-Variant') === 'core-mt',
        ),
      });
      expect(urls.variant.name).toBe('core');
      const want = st();
      expect(Buffer.from(await bytesOf(urls.wasmURL)).equals(want.wasm)).toBe(true);
      expect(Buffer.from(await bytesOf(urls.coreURL)).equals(want.glue)).toBe(true);
      expect(urls.workerURL).toBeUndefined();
    }
  });

  it("passes over core-mt when its glue was altered in transit, never pairing core-mt's wasm with another glue", async () => {
    const glue = manifest.variants.find((v) => v.name === 'core-mt')!.bundle!;
    const urls = await ffmpegURLs('ffmpeg', {
      server: stage.weft.url,
      profile: profile(),
      manifest,
      fetch: tampering((url) => url === glue.base + glue.entry),
    });
    expect(urls.variant.name).toBe('core');
    const want = st();
    expect(Buffer.from(await bytesOf(urls.wasmURL)).equals(want.wasm)).toBe(true);
    expect(Buffer.from(await bytesOf(urls.coreURL)).equals(want.glue)).toBe(true);
  });
});
