import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Assets } from '../server/routes/scripts.js';

/** The package root, from dist/ (built) or src/node/ (tests running the sources). */
export const PACKAGE_ROOT = new URL(import.meta.url.includes('/src/node/') ? '../..' : '..', import.meta.url)
  .pathname;

/** Reads the built browser bundles from dist/browser; missing ones are left out (their routes answer 404). */
export function loadAssets(root = PACKAGE_ROOT): Assets {
  const dir = join(root, 'dist', 'browser');
  const read = (file: string) =>
    existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : undefined;
  const polyfillDir = join(dir, 'polyfills');
  const polyfills: Record<string, string> = {};
  if (existsSync(polyfillDir)) {
    for (const file of readdirSync(polyfillDir)) {
      if (file.endsWith('.js'))
        polyfills[file.slice(0, -3).replaceAll('+', ',')] = readFileSync(join(polyfillDir, file), 'utf8');
    }
  }
  const chunkDir = join(dir, 'chunks');
  const chunks: Record<string, string> = {};
  if (existsSync(chunkDir)) {
    for (const file of readdirSync(chunkDir))
      if (file.endsWith('.js')) chunks[file] = readFileSync(join(chunkDir, file), 'utf8');
  }
  const assets: Assets = { polyfills, chunks };
  const sdk = read('sdk.js');
  const probe = read('probe.js');
  const emscripten = read('emscripten.js');
  if (emscripten !== undefined) assets['emscripten.js'] = emscripten;
  if (sdk !== undefined) assets['sdk.js'] = sdk;
  if (probe !== undefined) assets['probe.js'] = probe;
  return assets;
}
