/**
 * `weft/emscripten`: one call returns the ready Emscripten module of the build this engine should
 * run. It loads through the SDK (probe, select, verified compile), then takes that same variant's
 * glue from its bundle, checked against its integrity, so the glue of one build never meets the
 * wasm of another; hands the glue the verified module (`instantiateWasm`, passing the module on
 * for pthread workers); and points `locateFile` into the bundle. Pthread workers start from
 * same-origin blob URLs of the verified scripts, so weft may live on another origin than the page
 * (browsers refuse `new Worker(url)` across origins).
 *
 * @example
 * import { loadEmscripten } from 'weft/emscripten';
 * const { app, variant, threads } = await loadEmscripten('app', { server: 'https://wasm.example.com' });
 * app._count_primes(200000);
 */

import { fetchBundleFile } from '../sdk/bundle.js';
import { LoadError, type LoadOptions, type LoadResult, load, type RemoteBundle } from '../sdk/load.js';

export interface EmscriptenOptions extends Omit<LoadOptions, 'instantiate' | 'imports'> {
  /** Fields of Emscripten's `Module` object for the factory (`print`, `arguments`, ...). */
  moduleArgs?: Record<string, unknown>;
  /** The factory's name in classic glue (`-sEXPORT_NAME`); read from the glue when omitted. */
  exportName?: string;
}

export interface EmscriptenResult<M> extends Omit<LoadResult, 'instance' | 'polyfills'> {
  /** The ready Emscripten module (what the build's factory resolves to). */
  app: M;
}

/** The bundle of the chosen variant, refused unless its wasm is the very module that was verified. */
export function bundleOf(name: string, got: LoadResult): RemoteBundle {
  const { variant } = got;
  const bundle = variant.bundle;
  if (!bundle)
    throw new LoadError(name, variant.name, 'the variant was published without its glue (no bundle)');
  const wasm = bundle.files.filter((f) => f.role === 'wasm');
  if (wasm.length !== 1 || wasm[0]!.integrity !== variant.integrity)
    throw new LoadError(
      name,
      variant.name,
      `bundle ${bundle.id} holds another build's wasm (${wasm[0]?.integrity ?? 'none'}) than variant ${variant.name} (${variant.integrity}): refused`,
    );
  return bundle;
}

/**
 * Runs an Emscripten factory with what weft gives every build: the verified module through
 * `instantiateWasm` (passed on with the instance: Emscripten hands it to every pthread worker), and
 * `locateFile` into the bundle. A failed instantiation rejects, instead of leaving the factory waiting.
 */
export function runFactory(
  factory: (args: object) => Promise<unknown>,
  got: LoadResult,
  locate: (path: string) => string,
  extra: Record<string, unknown> = {},
): Promise<unknown> {
  let fail: (err: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const ready = factory({
    ...extra,
    locateFile: locate,
    instantiateWasm(
      imports: WebAssembly.Imports,
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) {
      WebAssembly.instantiate(got.module, imports).then((instance) => receive(instance, got.module), fail);
      return {};
    },
  });
  return Promise.race([ready, failed]);
}

/** The factory name of classic (non-ES6) glue: `var createApp = (() => {` or `= (function(`. */
export function factoryName(glue: string): string | undefined {
  return /var\s+([A-Za-z_$][\w$]*)\s*=\s*\(\s*(?:\(\)\s*=>|function\s*\()/.exec(glue)?.[1];
}

/** Loads the chosen variant's Emscripten build and returns its ready module. */
export async function loadEmscripten<M = Record<string, unknown>>(
  name: string,
  options: EmscriptenOptions = {},
): Promise<EmscriptenResult<M>> {
  const got = await load(name, { ...options, instantiate: false });
  const bundle = bundleOf(name, got);
  const doFetch = options.fetch ?? fetch;
  let app: M;
  try {
    if (typeof WEFT_BROWSER_BUNDLE !== 'boolean' && isNode()) {
      const { runOnNode } = await import('./node.js');
      app = (await runOnNode(got, bundle, options, doFetch)) as M;
    } else {
      app = (await runInBrowser(got, bundle, options, doFetch)) as M;
    }
  } catch (err) {
    if (err instanceof LoadError) throw err;
    throw new LoadError(name, got.variant.name, err instanceof Error ? err.message : String(err));
  }
  const { instance: _i, polyfills: _p, ...rest } = got;
  return { ...rest, app };
}

// Set by scripts/build.mjs for the browser bundle (/v1/emscripten.js): no Node path in it.
declare const WEFT_BROWSER_BUNDLE: boolean | undefined;

const isNode = () =>
  typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node ===
    'string' && typeof (globalThis as { window?: unknown }).window === 'undefined';

/**
 * In a browser: the glue and its worker scripts become same-origin blob URLs of their verified
 * bytes. ES6 glue is imported as is; classic glue gets an `export default` of its factory for this
 * import, and goes to the workers unchanged (they `importScripts` it).
 */
async function runInBrowser(
  got: LoadResult,
  bundle: RemoteBundle,
  options: EmscriptenOptions,
  doFetch: typeof fetch,
): Promise<unknown> {
  const glue = new TextDecoder().decode(await fetchBundleFile(bundle, bundle.entry, doFetch));
  const blobUrl = (text: string) => URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
  const workers = new Map<string, string>();
  for (const f of bundle.files.filter((f) => f.role === 'worker'))
    workers.set(f.path, blobUrl(new TextDecoder().decode(await fetchBundleFile(bundle, f.path, doFetch))));
  const es6 = /\bexport\s+default\b/.test(glue);
  let main: string;
  let factoryUrl: string;
  if (es6) {
    // Started from a blob URL, ES6 glue would resolve its relative URLs (`new URL('app.wasm',
    // import.meta.url)`, in pthread workers too) against blob:, which is no base: they resolve
    // against the bundle, where the file is.
    main = factoryUrl = blobUrl(
      glue.replaceAll('import.meta.url', JSON.stringify(bundle.base + bundle.entry)),
    );
  } else {
    const exportName = options.exportName ?? factoryName(glue);
    if (!exportName) throw new Error('cannot find the factory in the classic glue: pass exportName');
    main = blobUrl(glue);
    factoryUrl = blobUrl(`${glue}\nexport default ${exportName};`);
  }
  const factory = (
    (await import(/* @vite-ignore */ factoryUrl)) as { default: (args: object) => Promise<unknown> }
  ).default;
  const locate = (path: string) => workers.get(path) ?? bundle.base + path;
  return runFactory(factory, got, locate, { ...options.moduleArgs, mainScriptUrlOrBlob: main });
}
