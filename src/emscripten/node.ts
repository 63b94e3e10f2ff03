/**
 * On Node: the glue and its worker scripts are written, verified, into a fresh folder of their
 * own, and loaded from there (Node's pthread workers start from files; Node cannot import blob
 * URLs). Classic glue is required, ES6 glue imported.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fetchBundleFile } from '../sdk/bundle.js';
import type { LoadResult, RemoteBundle } from '../sdk/load.js';
import { type EmscriptenOptions, runFactory } from './index.js';

export async function runOnNode(
  got: LoadResult,
  bundle: RemoteBundle,
  options: EmscriptenOptions,
  doFetch: typeof fetch,
): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), `weft-${bundle.id}-`));
  // Only what JS loads: the glue and its workers (the wasm is the verified module already).
  for (const f of bundle.files.filter((f) => f.role === 'glue' || f.role === 'worker')) {
    if (f.path.includes('/')) continue;
    writeFileSync(join(dir, f.path), await fetchBundleFile(bundle, f.path, doFetch));
  }
  const entry = join(dir, bundle.entry);
  const factory = (
    /\.mjs$/.test(entry)
      ? ((await import(pathToFileURL(entry).href)) as { default: unknown }).default
      : createRequire(entry)(entry)
  ) as (args: object) => Promise<unknown>;
  const locate = (path: string) =>
    bundle.files.some((f) => f.path === path && f.role !== 'wasm') ? join(dir, path) : bundle.base + path;
  return runFactory(factory, got, locate, options.moduleArgs);
}
