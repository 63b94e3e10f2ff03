/**
 * The built client scripts, read the same way wherever they are kept: from dist/browser on Node,
 * through the Workers static-assets binding at the edge. `index.json` (written by the build) lists
 * them, so no runtime has to list a folder.
 */
import type { Assets } from './routes/scripts.js';

export const ASSET_INDEX = 'index.json';

/** dist/browser/index.json: what the build made, by kind. */
export interface AssetIndex {
  scripts: string[];
  /** File names under `chunks/`. */
  chunks: string[];
  /** File names under `polyfills/` (`a+b.js` serves `?need=a,b`). */
  polyfills: string[];
}

const SCRIPTS = ['sdk.js', 'probe.js', 'emscripten.js'] as const;

/** Reads every listed script with `read` (a path under dist/browser); a missing index gives no assets. */
export async function collectAssets(
  read: (path: string) => Promise<string | undefined> | string | undefined,
): Promise<Assets> {
  const indexText = await read(ASSET_INDEX);
  if (indexText === undefined) return {};
  const index = JSON.parse(indexText) as AssetIndex;
  const assets: Assets = { polyfills: {}, chunks: {} };
  for (const name of SCRIPTS) {
    if (!index.scripts.includes(name)) continue;
    const body = await read(name);
    if (body !== undefined) assets[name] = body;
  }
  for (const file of index.chunks) {
    const body = await read(`chunks/${file}`);
    if (body !== undefined) assets.chunks![file] = body;
  }
  for (const file of index.polyfills) {
    const body = await read(`polyfills/${file}`);
    if (body !== undefined) assets.polyfills![file.slice(0, -3).replaceAll('+', ',')] = body;
  }
  return assets;
}

type GetBuiltin = (id: string) => unknown;
type ReadFile = (path: string, encoding: 'utf8') => Promise<string>;

/**
 * This package's client scripts (its dist/browser), read where the runtime has
 * `process.getBuiltinModule` (Node, Bun, Deno): `createApp`'s default, through no import a
 * bundler would follow. No scripts elsewhere, or when the package is not found beside this file
 * (bundled into someone's server: pass `assets` then).
 */
export async function packageAssets(): Promise<Assets> {
  const builtin = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process?.getBuiltinModule;
  // Typed loosely: the Workers types (test/workers) give import.meta no `url`.
  const here = (import.meta as { url?: string }).url;
  if (!builtin || !here?.startsWith('file:')) return {};
  const { readFile } = builtin('node:fs/promises') as { readFile: ReadFile };
  const { fileURLToPath } = builtin('node:url') as { fileURLToPath: (url: URL) => string };
  // This file is src/server/ (tests), dist/ or dist/chunks/ (built): the package is a few folders up.
  for (let up = new URL('.', here), i = 0; i < 4; up = new URL('..', up), i++) {
    const pkg = await readFile(fileURLToPath(new URL('package.json', up)), 'utf8').catch(() => '{}');
    if (!/"name"\s*:\s*"weft"/.test(pkg)) continue;
    const dir = new URL('dist/browser/', up);
    return collectAssets((path) =>
      readFile(fileURLToPath(new URL(path, dir)), 'utf8').catch(() => undefined),
    );
  }
  return {};
}
