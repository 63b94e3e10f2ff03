/**
 * onnxruntime-web through weft: `await ortWasm('ort', { server, env: ort.env })` before the first
 * `InferenceSession.create`. weft picks the build and hands ORT same-origin blob URLs of the bytes
 * it verified, through ORT's own hooks (`env.wasm.wasmPaths = { mjs, wasm }`), with `numThreads`
 * set from what weft granted.
 *
 * Which builds: each ORT 1.30 library bundle imports one build by a name written into it: the
 * wasm bundles (`ort.wasm*.mjs`) `ort-wasm-simd-threaded.mjs`, `ort.mjs` the `.jsep` build (WebGPU),
 * `ort.webgpu.mjs` the `.asyncify` one, `ort.jspi.mjs` the `.jspi` one. So the choice among them is
 * the page's choice of bundle; the module is the build of that bundle, published with optional
 * threads (`weft publish <dir> --threads optional`): it runs on one thread where threads cannot
 * start, which weft answers with `threads: false`, and this sets `numThreads: 1` there.
 */

import { type VerifiedBuildOptions, verifiedBuild } from '../libs/verified-build.js';
import type { RemoteVariant } from '../sdk/load.js';

/** Threads where weft grants them: the cap of ORT's own default (min(4, cores / 2)). */
const DEFAULT_THREADS = 4;

export interface OrtWasmOptions extends VerifiedBuildOptions {
  /** `ort.env`: when given, `env.wasm.wasmPaths` and `env.wasm.numThreads` are set in it. */
  env?: { wasm: { wasmPaths?: unknown; numThreads?: number } };
  /** Threads to use where weft grants threads (default 4, ORT's own cap). */
  maxThreads?: number;
}

export interface OrtWasm {
  /** For `ort.env.wasm.wasmPaths`: the glue (`.mjs`) and the wasm as blob URLs of verified bytes. */
  wasmPaths: { mjs: string; wasm: string };
  /** For `ort.env.wasm.numThreads`: 1 where weft did not grant threads. */
  numThreads: number;
  variant: RemoteVariant;
  threads: boolean;
  /** Why threads were not granted (empty when they were). */
  why: string[];
}

/**
 * The onnxruntime-web wasm build this engine should run, as settings for `ort.env.wasm`. Call it
 * before the first session: ORT reads these once, when it initialises its backend.
 *
 * @example
 * import * as ort from 'onnxruntime-web/wasm';
 * import { ortWasm } from 'weft/onnxruntime';
 * await ortWasm('ort', { server: 'https://wasm.example.com', env: ort.env });
 * const session = await ort.InferenceSession.create(modelBytes);
 */
export async function ortWasm(name: string, options: OrtWasmOptions = {}): Promise<OrtWasm> {
  const build = await verifiedBuild(name, options, ['glue']);
  // ORT imports a blob: `mjs` itself (same origin, so not re-fetched) and its pthread workers start
  // from that same URL; `wasm` goes to Emscripten's locateFile, which fetches it from the blob.
  const settings: OrtWasm = {
    wasmPaths: { mjs: build.files.glue!, wasm: build.wasm },
    numThreads: build.threads ? (options.maxThreads ?? DEFAULT_THREADS) : 1,
    variant: build.variant,
    threads: build.threads,
    why: build.why,
  };
  if (options.env) {
    options.env.wasm.wasmPaths = settings.wasmPaths;
    options.env.wasm.numThreads = settings.numThreads;
  }
  return settings;
}
