/**
 * `weft/plugin`: `import app from 'weft:app'` in an app bundled by esbuild or Vite is the module's
 * pinned manifest (src/profile/pinned.ts), inlined at build time, so `load(app)` and
 * `loadEmscripten(app)` choose with no round trip to the server. Types: `/// <reference
 * types="weft/plugin" />` (or `"types": ["weft/plugin"]`) declares every `weft:*` import.
 *
 * @example
 * // esbuild
 * import { weftEsbuild } from 'weft/plugin';
 * await esbuild.build({ entryPoints: ['app.ts'], bundle: true, plugins: [weftEsbuild({ server: 'https://wasm.example.com' })] });
 * // vite.config.ts, offline: files written by `weft manifest app --server URL --out app.weft.json`
 * import { weftVite } from 'weft/plugin';
 * export default { plugins: [weftVite({ manifests: ['app.weft.json'] })] };
 */
import { resolve } from 'node:path';
import { fetchPinned, readPinned } from '../node/pin.js';
import type { PinnedManifest } from '../profile/pinned.js';

export type { PinnedManifest };

export interface WeftPluginOptions {
  /** The weft server each `weft:<module>` is asked of at build time (its origin and mount). */
  server?: string;
  /**
   * Pinned manifest files (`weft manifest --out`), for builds without the network: each is the
   * `weft:<module>` its `name` says, and wins over `server`.
   */
  manifests?: string[];
  /** The fetch the server is asked with (default: the global one). */
  fetch?: typeof fetch;
}

export const PREFIX = 'weft:';

/**
 * The pinned manifests of one build, each fetched or read once: `source(name)` is the module
 * text a bundler is given for `weft:<name>`, and `files` the manifest files it depends on.
 */
export function pinnedModules(options: WeftPluginOptions) {
  const files = (options.manifests ?? []).map((f) => resolve(f));
  let byName: Promise<Map<string, PinnedManifest>> | undefined;
  const fromFiles = () => {
    byName ??= Promise.all(files.map(readPinned)).then((all) => new Map(all.map((p) => [p.name, p])));
    return byName;
  };
  const fetched = new Map<string, Promise<PinnedManifest>>();
  async function pinned(name: string): Promise<PinnedManifest> {
    const local = (await fromFiles()).get(name);
    if (local) return local;
    if (!options.server)
      throw new Error(
        `weft: no pinned manifest for '${PREFIX}${name}': give weft's plugin { server } or a manifests file whose name is ${name}`,
      );
    let got = fetched.get(name);
    if (!got) {
      got = fetchPinned(options.server, name, options.fetch);
      fetched.set(name, got);
    }
    return got;
  }
  return {
    files,
    /** ES module text: the pinned manifest as its default export (JSON is a JS expression). */
    source: async (name: string) => `export default ${JSON.stringify(await pinned(name))};\n`,
  };
}

/** The part of esbuild's plugin interface used here (structural: no esbuild types needed). */
interface EsbuildBuild {
  onResolve(
    options: { filter: RegExp },
    callback: (args: { path: string }) => { path: string; namespace: string } | undefined,
  ): void;
  onLoad(
    options: { filter: RegExp; namespace: string },
    callback: (args: { path: string }) => Promise<{ contents: string; loader: 'js'; watchFiles: string[] }>,
  ): void;
}

/** esbuild plugin: `weft:<module>` imports become the module's pinned manifest. */
export function weftEsbuild(options: WeftPluginOptions = {}): {
  name: string;
  setup(build: EsbuildBuild): void;
} {
  return {
    name: 'weft',
    setup(build) {
      const modules = pinnedModules(options);
      build.onResolve({ filter: /^weft:/ }, (args) => ({
        path: args.path.slice(PREFIX.length),
        namespace: 'weft',
      }));
      build.onLoad({ filter: /.*/, namespace: 'weft' }, async (args) => ({
        contents: await modules.source(args.path),
        loader: 'js',
        watchFiles: modules.files,
      }));
    },
  };
}

// Rollup's convention for a module no file backs: a leading NUL keeps other plugins off it.
const VIRTUAL = `\0${PREFIX}`;

/** Vite (and Rollup) plugin: `weft:<module>` imports become the module's pinned manifest. */
export function weftVite(options: WeftPluginOptions = {}): {
  name: string;
  enforce: 'pre';
  resolveId(id: string): string | undefined;
  load(id: string): Promise<string | undefined>;
} {
  let modules: ReturnType<typeof pinnedModules> | undefined;
  return {
    name: 'weft',
    enforce: 'pre',
    resolveId: (id) => (id.startsWith(PREFIX) ? VIRTUAL + id.slice(PREFIX.length) : undefined),
    async load(id) {
      if (!id.startsWith(VIRTUAL)) return undefined;
      modules ??= pinnedModules(options);
      return modules.source(id.slice(VIRTUAL.length));
    },
  };
}
