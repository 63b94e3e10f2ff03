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
