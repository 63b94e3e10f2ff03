/**
 * On Node: the bundle's files (all but the wasm, which is the verified module already) are written,
 * each checked against its integrity, into a fresh folder of their own under the paths the
 * toolchain gave them, and the glue is loaded from there (Node's pthread workers start from files;
 * Node cannot import blob URLs). Classic glue is required; ES6 glue (`export default`) imported.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
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
  const written = new Map<string, string>();
  for (const f of bundle.files.filter((f) => f.role !== 'wasm')) {
    const target = resolve(dir, f.path);
    // Paths come from the server's answer: never outside the folder.
    if (!target.startsWith(dir + sep)) throw new Error(`the bundle names a path outside itself: ${f.path}`);
    mkdirSync(dirname(target), { recursive: true });
    const bytes = await fetchBundleFile(bundle, f.path, doFetch);
    // ES6 glue under a .js name (emcc -sEXPORT_ES6 -o app.js) is written as .mjs, so Node imports it.
    const es6 = f.path === bundle.entry && /\bexport\s+default\b/.test(new TextDecoder().decode(bytes));
    const file = es6 && !target.endsWith('.mjs') ? `${target}.mjs` : target;
    writeFileSync(file, bytes);
    written.set(f.path, file);
  }
  const entry = written.get(bundle.entry);
  if (!entry) throw new Error('the bundle has no glue to start from');
  const factory = (
    entry.endsWith('.mjs')
      ? ((await import(pathToFileURL(entry).href)) as { default: unknown }).default
      : createRequire(entry)(entry)
  ) as (args: object) => Promise<unknown>;
  const locate = (path: string) => written.get(path) ?? bundle.base + path;
  return runFactory(factory, got, locate, options.moduleArgs);
}
