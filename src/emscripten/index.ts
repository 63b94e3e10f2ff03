/**
 * `weft/emscripten`: one call returns the ready Emscripten module of the build this engine should
 * run. It chooses through the SDK (probe, select, fallback: `loadWith`) and, while that variant's
 * wasm compiles as it downloads (verified on the way), fetches that same variant's glue and workers
 * from its bundle, checked against their integrity, so the glue of one build never meets the
 * wasm of another; hands the glue the verified module (`instantiateWasm`, passing the module on
 * for pthread workers); and points `locateFile` into the bundle, composed with the caller's
 * `moduleArgs` (see compose.ts). Pthread workers start from same-origin blob URLs of the verified
 * scripts, so weft may live on another origin than the page (browsers refuse `new Worker(url)`
 * across origins). A start-up is watched (watch.ts): it ends ready or with a LoadError naming its
 * stage, never hangs.
 *
 * @example
 * import { loadEmscripten } from 'weft/emscripten';
 * const { app, variant, threads } = await loadEmscripten('app', { server: 'https://wasm.example.com' });
 * app._count_primes(200000);
 */

import { bundleOf } from '../sdk/bundle.js';
import {
  type Chosen,
  LoadError,
  type LoadOptions,
  type LoadResult,
  loadWith,
  type PinnedManifest,
} from '../sdk/load.js';
import { variantFault } from '../sdk/verify.js';
import { type Ahead, fetchingAhead } from './ahead.js';
import { type BrowserRun, runInBrowser } from './browser.js';
import type { ModuleArgs } from './compose.js';
import { errorMessage } from './run.js';
import { wasmSource } from './wasm.js';
import { type Stage, StageError, watch } from './watch.js';

export type { ModuleArgs, WeftContext, WeftModuleArgs } from './compose.js';
export type { Stage } from './watch.js';

export interface EmscriptenOptions extends Omit<LoadOptions, 'instantiate' | 'imports'> {
  /**
   * Fields of Emscripten's `Module` object for the factory (`print`, `arguments`, `locateFile`,
   * ...), composed with weft's: or a function `(weft, context) => Module` that builds on them.
   */
  moduleArgs?: ModuleArgs;
  /** The factory's name: classic glue's `-sEXPORT_NAME` (read from the glue when omitted), or an ES module's named export. */
  exportName?: string;
  /** Milliseconds the whole load may take before it fails with a LoadError (default 60 000). */
  timeout?: number;
}

export interface EmscriptenResult<M> extends Omit<LoadResult, 'instance' | 'polyfills'> {
  /** The ready Emscripten module (what the build's factory resolves to). */
  app: M;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Loads the chosen variant's Emscripten build and returns its ready module. Fails with a
 * LoadError whose `stage` says where ('wasm', 'glue', 'instantiate', 'workers', 'ready'). A build
 * with optional threads whose workers fail is started again on one thread (`threads: false`, and
 * `why` says so): a `moduleArgs` function sees `context.threads` to size its pool.
 */
export async function loadEmscripten<M = Record<string, unknown>>(
  app: string | PinnedManifest,
  options: EmscriptenOptions = {},
): Promise<EmscriptenResult<M>> {
  // A pinned manifest (weft manifest, weft/plugin): chosen locally, only the chosen build fetched.
  const name = typeof app === 'string' ? app : app.name;
  const deadline = Date.now() + (options.timeout ?? DEFAULT_TIMEOUT_MS);
  // While no variant is starting (a start-up's own watch keeps the deadline while one is).
  let timer: ReturnType<typeof setTimeout> | undefined;
  let starting = 0;
  const noWasm = () => new LoadError(name, undefined, 'no wasm in time', { stage: 'wasm' });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        if (!starting) reject(noWasm());
      },
      Math.max(0, deadline - Date.now()),
    );
  });
  // The wasm compiles as it downloads while the glue and the workers download and start.
  const ahead = fetchingAhead(
    (typeof app === 'string' ? options.manifest : app)?.variants,
    options.fetch ?? fetch,
  );
  const loading = loadWith(app, { ...options, fetch: ahead.fetch, instantiate: false }, async (res, got) => {
    if (Date.now() >= deadline) {
      res.body?.cancel().catch(() => {});
      throw noWasm();
    }
    starting++;
    try {
      return await startChosen<M>(res, got, options, deadline, ahead);
    } finally {
      starting--;
    }
  });
  try {
    return await Promise.race([loading, timeout]);
  } catch (err) {
    // load()'s own failures (download, integrity, compile) are this loader's stage 'wasm'.
    if (err instanceof LoadError) (err as { stage: string | undefined }).stage ??= 'wasm';
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One chosen variant started with its glue. A wasm that fails to download, verify or compile is
 * thrown as itself, so that loadWith tries the next acceptable variant (and its own glue), as
 * load() does; any other failure is a LoadError at its stage.
 */
async function startChosen<M>(
  res: Response,
  got: Chosen,
  options: EmscriptenOptions,
  deadline: number,
  ahead: Ahead,
): Promise<EmscriptenResult<M>> {
  const { name } = got;
  const wasm = wasmSource(res, got.variant, options.onProgress);
  const start = async (threads: boolean) => {
    const bundle = bundleOf(name, got.variant);
    const names = new Map<string, string>();
    const w = watch(Math.max(0, deadline - Date.now()), (url) => names.get(String(url)) ?? String(url));
    const run: BrowserRun = {
      got,
      wasm,
      bundle,
      moduleArgs: options.moduleArgs,
      exportName: options.exportName,
      threads,
      doFetch: options.fetch ?? fetch,
      ahead,
      watch: w,
      names,
    };
    // A wasm that fails to download, verify or compile ends this start-up at once.
    wasm.compiled.catch((err: unknown) => w.fail('wasm', err));
    try {
      if (typeof WEFT_BROWSER_BUNDLE !== 'boolean' && isNode()) {
        const { runOnNode } = await import('./node.js');
        return (await Promise.race([runOnNode(run), w.failed])) as M;
      }
      return (await Promise.race([runInBrowser(run), w.failed])) as M;
    } catch (err) {
      const stage: Stage = err instanceof StageError ? err.stage : 'glue';
      w.fail(stage, err);
      w.terminateAll();
      if (err instanceof StageError && stage === 'wasm' && err.fault !== undefined && variantFault(err.fault))
        throw err.fault;
      throw new LoadError(name, got.variant.name, errorMessage(err), { stage });
    }
  };
  const { polyfills: _p, name: _n, ...rest } = got;
  try {
    const app = await start(got.threads);
    return { ...rest, module: wasm.module!, app };
  } catch (err) {
    // Threads were optional: one thread is still the build working, said so in the result.
    if (!(got.threads && got.variant.threads === 'optional' && (err as LoadError).stage === 'workers'))
      throw err;
    const app = await start(false);
    return {
      ...rest,
      module: wasm.module!,
      app,
      threads: false,
      why: [...got.why, `workers failed, running on one thread: ${(err as Error).message}`],
    };
  }
}

// Set by scripts/build.mjs for the browser bundle (/v1/emscripten.js): no Node path in it.
declare const WEFT_BROWSER_BUNDLE: boolean | undefined;

const isNode = () =>
  typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node ===
    'string' && typeof (globalThis as { window?: unknown }).window === 'undefined';
