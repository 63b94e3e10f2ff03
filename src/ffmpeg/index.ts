/**
 * ffmpeg.wasm through weft: `await ffmpeg.load(await ffmpegURLs('ffmpeg', { server }))` with
 * `@ffmpeg/ffmpeg`'s own `FFmpeg` class. weft picks the core this engine can run (`@ffmpeg/core-mt`
 * where threads can start, `@ffmpeg/core` elsewhere, published as two variants of one module) and
 * hands FFmpeg same-origin blob URLs of the bytes it verified: its worker imports the glue from
 * one, the core fetches the wasm from another (no second download), and core-mt starts its
 * pthreads from the third.
 */

import { type VerifiedBuildOptions, verifiedBuild } from '../libs/verified-build.js';
import type { RemoteVariant } from '../sdk/load.js';

export type FFmpegURLsOptions = VerifiedBuildOptions;

/** What `FFmpeg.load()` takes (`coreURL`, `wasmURL`, `workerURL`), and what weft chose. */
export interface FFmpegURLs {
  /** The core's glue (`ffmpeg-core.js`), an ES module. */
  coreURL: string;
  /** The core's wasm. */
  wasmURL: string;
  /** The pthread worker script (`ffmpeg-core.worker.js`): multi-threaded cores only. */
  workerURL?: string;
  /** The chosen variant. */
  variant: RemoteVariant;
  /** Whether the chosen core may start threads here. */
  threads: boolean;
  /** Why threads were not granted (empty when they were). */
  why: string[];
}

/**
 * The URLs of the ffmpeg.wasm core this engine should run, for `FFmpeg.load()`. The URLs stay
 * valid for the page's life (the core's pthread workers import the glue again when they start).
 *
 * @example
 * import { FFmpeg } from '@ffmpeg/ffmpeg';
 * import { ffmpegURLs } from 'weft/ffmpeg';
 * const ffmpeg = new FFmpeg();
 * await ffmpeg.load(await ffmpegURLs('ffmpeg', { server: 'https://wasm.example.com' }));
 */
export async function ffmpegURLs(name: string, options: FFmpegURLsOptions = {}): Promise<FFmpegURLs> {
  const build = await verifiedBuild(name, options, ['glue', 'worker']);
  const { glue: coreURL, worker: workerURL } = build.files;
  const urls: FFmpegURLs = {
    coreURL: coreURL!,
    wasmURL: build.wasm,
    variant: build.variant,
    threads: build.threads,
    why: build.why,
  };
  if (workerURL) urls.workerURL = workerURL;
  return urls;
}
