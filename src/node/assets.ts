import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectAssets } from '../server/assets.js';
import type { Assets } from '../server/routes/scripts.js';

/** The package root, from dist/ (built) or src/node/ (tests running the sources). */
export const PACKAGE_ROOT = new URL(import.meta.url.includes('/src/node/') ? '../..' : '..', import.meta.url)
  .pathname;

/** Reads the built browser bundles from dist/browser; missing ones are left out (their routes answer 404). */
export function loadAssets(root = PACKAGE_ROOT): Promise<Assets> {
  const dir = join(root, 'dist', 'browser');
  return collectAssets((path) => readFile(join(dir, path), 'utf8').catch(() => undefined));
}
