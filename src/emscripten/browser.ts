/**
 * In a browser: the glue and its worker files become same-origin blob URLs of their verified
 * bytes, so weft may live on another origin than the page (browsers refuse `new Worker(url)`
 * across origins). ES module glue is imported as is, its relative file references resolved in
 * the bundle; classic glue runs as a function body (see classicFactory), and goes to the workers
 * unchanged (they `importScripts` it). A classic glue's pthread pool starts ahead of it (poolOf).
 */
import { fetchBundleFile } from '../sdk/bundle.js';
import type { Chosen, RemoteBundle } from '../sdk/load.js';
import { type Ahead, firstFiles } from './ahead.js';
import type { ModuleArgs } from './compose.js';
import {
  factoryName,
  glueShape,
  poolSize,
  resolveRelativeUrls,
  scriptsOf,
  workerKind,
  workerPrelude,
} from './glue.js';
import { type Factory, runFactory } from './run.js';
import type { WasmSource } from './wasm.js';
import { StageError, type Watch } from './watch.js';

export interface BrowserRun {
  got: Chosen;
  wasm: WasmSource;
  bundle: RemoteBundle;
  moduleArgs?: ModuleArgs;
  exportName?: string;
  threads: boolean;
  doFetch: typeof fetch;
  /** Bundle files asked for beside the wasm (see ahead.ts). */
  ahead?: Ahead;
  watch: Watch;
  /** Receives every blob URL made, so the caller can name them in messages. */
  names: Map<string, string>;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const blobUrl = (body: string) => URL.createObjectURL(new Blob([body], { type: 'text/javascript' }));

export async function runInBrowser(r: BrowserRun): Promise<unknown> {
  const { bundle, watch } = r;
  const fetching = earlyFetches(r);
  const fetchFile = (path: string) => fetching.get(path) ?? fetchBundleFile(bundle, path, r.doFetch);
  const glue = text(await fetchFile(bundle.entry));
  const files = new Map<string, string>();
  const scripts = scriptsOf(glue, bundle.entry, bundle.files);
  const bodies = await Promise.all(scripts.map((f) => fetchFile(f.path)));
  for (const [k, f] of scripts.entries()) {
    let body = text(bodies[k]!);
    // An ES module worker resolves its relative URLs like the glue does.
    if (workerKind(body) === 'module') body = resolveRelativeUrls(body, bundle.base);
    const url = blobUrl(body);
    files.set(f.path, url);
    r.names.set(url, f.path);
  }
  const shape = glueShape(glue);
  // The pool boots while the glue is read and the wasm compiles.
  const pool = r.threads && !shape.esm ? poolOf(glue, bundle, files) : undefined;
  if (pool) watch.prewarm(pool.url, pool.size);
  const token = `${bundle.id}:${Math.random().toString(36).slice(2)}`;
  let main: string;
  let factory: Factory;
  const unregister = watch.register(token);
  try {
    if (shape.esm) {
      // Its own pthread workers import this same blob (mainScriptUrlOrBlob, or a self-worker's
      // import.meta.url): same origin as the page.
      main = blobUrl(workerPrelude(token) + resolveRelativeUrls(glue, bundle.base));
      r.names.set(main, bundle.entry);
      factory = pickFactory(await importGlue(main), r.exportName);
    } else {
      const exportName = r.exportName ?? factoryName(glue);
      if (!exportName)
        throw new StageError('glue', 'cannot find the factory in the classic glue: pass exportName');
      // The workers `importScripts` the glue unchanged.
      main = blobUrl(glue);
      r.names.set(main, bundle.entry);
      factory = await classicFactory(`${workerPrelude(token)}${glue}`, exportName, r.names, bundle.entry);
    }
  } finally {
    unregister();
  }
  return runFactory({
    factory,
    got: r.got,
    wasm: r.wasm,
    files,
    base: bundle.base,
    paths: bundle.files.map((f) => f.path),
    mainScript: main,
    moduleArgs: r.moduleArgs,
    threads: r.threads,
    watch,
  });
}

/** An ES module's namespace, imported from its blob URL; a failure is the glue's. */
async function importGlue(url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } catch (err) {
    throw new StageError(
      'glue',
      `the glue did not load: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/**
 * Classic glue's factory: its verified text run as a function body (the scope a module would give
 * its `var`s), which Chromium did in a median 9 ms against 58 ms for importing the same text from
 * a blob URL (bench/emscripten.ts's notes). A page whose CSP forbids `eval` refuses the function
 * before any of it runs: the glue is then imported from a blob URL with an `export default`.
 */
async function classicFactory(
  body: string,
  exportName: string,
  names: Map<string, string>,
  entry: string,
): Promise<Factory> {
  let run: (() => unknown) | undefined;
  try {
    run = new Function(`${body}\nreturn ${exportName};`) as () => unknown;
  } catch (err) {
    if (!(err instanceof EvalError))
      throw new StageError(
        'glue',
        `the glue did not load: ${err instanceof Error ? err.message : String(err)}`,
      );
  }
  if (!run) {
    const url = blobUrl(`${body}\nexport default ${exportName};`);
    names.set(url, entry);
    return pickFactory(await importGlue(url), undefined);
  }
  let factory: unknown;
  try {
    factory = run();
  } catch (err) {
    throw new StageError(
      'glue',
      `the glue did not load: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return pickFactory({ default: factory }, undefined);
}

/**
 * The pthread pool classic glue will start as it runs, `new Worker(locateFile(<worker>))` for each:
 * its size and the URL of the verified worker file (its one script published as a worker).
 */
export function poolOf(
  glue: string,
  bundle: RemoteBundle,
  files: Map<string, string>,
): { url: string; size: number } | undefined {
  const workers = bundle.files.filter((f) => f.role === 'worker');
  const url = workers.length === 1 ? files.get(workers[0]!.path) : undefined;
  const size = poolSize(glue);
  return url && size ? { url, size } : undefined;
}

/** The factory an imported glue exports: `exportName` when given, else its default export. */
export function pickFactory(ns: Record<string, unknown>, exportName: string | undefined): Factory {
  const f = exportName ? (ns[exportName] ?? ns.default) : ns.default;
  if (typeof f !== 'function')
    throw new StageError(
      'glue',
      `the glue exports no factory ${exportName ? `named ${exportName}` : 'as default'} (it exports: ${Object.keys(ns).join(', ') || 'nothing'})`,
    );
  return f as Factory;
}

/**
 * The glue and the files published as workers, all asked for at once (and while the wasm
 * downloads): a file the glue names otherwise is fetched once the glue has been read.
 */
export function earlyFetches(
  r: Pick<BrowserRun, 'bundle' | 'doFetch' | 'ahead'>,
  files = firstFiles(r.bundle),
): Map<string, Promise<Uint8Array>> {
  const { bundle } = r;
  const fetching = new Map(
    files.map((f) => [f.path, r.ahead?.take(bundle, f.path) ?? fetchBundleFile(bundle, f.path, r.doFetch)]),
  );
  // Each is awaited when used; one that fails before then is not an unhandled rejection.
  for (const p of fetching.values()) p.catch(() => {});
  return fetching;
}
