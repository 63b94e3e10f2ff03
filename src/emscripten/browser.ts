/**
 * In a browser: the glue and its worker files become same-origin blob URLs of their verified
 * bytes, so weft may live on another origin than the page (browsers refuse `new Worker(url)`
 * across origins). ES module glue is imported as is, its relative file references resolved in
 * the bundle; classic glue gets an `export default` of its factory for this import, and goes to
 * the workers unchanged (they `importScripts` it).
 */
import { fetchBundleFile } from '../sdk/bundle.js';
import type { Chosen, RemoteBundle } from '../sdk/load.js';
import type { ModuleArgs } from './compose.js';
import { factoryName, glueShape, resolveRelativeUrls, scriptsOf, workerKind, workerPrelude } from './glue.js';
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
  const token = `${bundle.id}:${Math.random().toString(36).slice(2)}`;
  let main: string;
  let factoryUrl: string;
  if (shape.esm) {
    // Its own pthread workers import this same blob (mainScriptUrlOrBlob, or a self-worker's
    // import.meta.url): same origin as the page.
    main = factoryUrl = blobUrl(workerPrelude(token) + resolveRelativeUrls(glue, bundle.base));
  } else {
    const exportName = r.exportName ?? factoryName(glue);
    if (!exportName)
      throw new StageError('glue', 'cannot find the factory in the classic glue: pass exportName');
    main = blobUrl(glue);
    factoryUrl = blobUrl(`${workerPrelude(token)}${glue}\nexport default ${exportName};`);
  }
  r.names.set(main, bundle.entry);
  r.names.set(factoryUrl, bundle.entry);
  const unregister = watch.register(token);
  let ns: Record<string, unknown>;
  try {
    ns = (await import(/* @vite-ignore */ factoryUrl)) as Record<string, unknown>;
  } catch (err) {
    throw new StageError(
      'glue',
      `the glue did not load: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    unregister();
  }
  const factory = pickFactory(ns, shape.esm ? r.exportName : undefined);
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
export function earlyFetches(r: Pick<BrowserRun, 'bundle' | 'doFetch'>): Map<string, Promise<Uint8Array>> {
  const { bundle } = r;
  const early = bundle.files.filter((f) => f.path === bundle.entry || f.role === 'worker');
  const fetching = new Map(early.map((f) => [f.path, fetchBundleFile(bundle, f.path, r.doFetch)]));
  // Each is awaited when used; one that fails before then is not an unhandled rejection.
  for (const p of fetching.values()) p.catch(() => {});
  return fetching;
}
