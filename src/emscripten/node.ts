/**
 * On Node: the bundle's files (all but the wasm, which is the verified module already) are written,
 * each checked against its integrity, into a fresh folder of their own under the paths the
 * toolchain gave them, and the glue is loaded from there (Node's pthread workers start from files;
 * Node cannot import blob URLs). Classic glue is required; ES module glue imported (written as
 * `.mjs` when its name does not say so, as is an ES module worker file).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fetchBundleFile } from '../sdk/bundle.js';
import type { BrowserRun } from './browser.js';
import { earlyFetches, pickFactory, poolOf } from './browser.js';
import { factoryName, glueShape, scriptsOf, workerKind, workerPrelude } from './glue.js';
import { type Factory, runFactory } from './run.js';
import { StageError, type WorkerClass } from './watch.js';

export async function runOnNode(r: BrowserRun): Promise<unknown> {
  const { bundle, watch } = r;
  const dir = mkdtempSync(join(tmpdir(), `weft-${bundle.id}-`));
  const token = `${bundle.id}:${Math.random().toString(36).slice(2)}`;
  const files = new Map<string, string>();
  let esm = false;
  const wanted = bundle.files.filter((f) => f.role !== 'wasm');
  // Paths come from the server's answer: never outside the folder.
  for (const f of wanted)
    if (!resolve(dir, f.path).startsWith(dir + sep))
      throw new StageError('glue', `the bundle names a path outside itself: ${f.path}`);
  // Every file asked for at once, while the wasm downloads.
  const fetching = earlyFetches(r, wanted);
  const glue = await (fetching.get(bundle.entry) ?? fetchBundleFile(bundle, bundle.entry, r.doFetch));
  const glueText = new TextDecoder().decode(glue);
  const scripts = new Set(scriptsOf(glueText, bundle.entry, bundle.files).map((f) => f.path));
  for (const f of wanted) {
    const target = resolve(dir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    const bytes = await fetching.get(f.path)!;
    const isEntry = f.path === bundle.entry;
    const body = isEntry ? glueText : new TextDecoder().decode(bytes);
    if (isEntry) esm = glueShape(body).esm;
    const module = isEntry ? esm : scripts.has(f.path) && workerKind(body) === 'module';
    const file = module && !target.endsWith('.mjs') ? `${target}.mjs` : target;
    // The glue's `new Worker(...)` goes through the watch (see workerPrelude).
    writeFileSync(file, isEntry ? workerPrelude(token) + body : bytes);
    files.set(f.path, file);
    r.names.set(file, f.path);
  }
  const entry = files.get(bundle.entry);
  if (!entry) throw new StageError('glue', 'the bundle has no glue to start from');
  // The pool boots while the glue is read and the wasm compiles.
  const pool = r.threads && !esm ? poolOf(glueText, bundle, files) : undefined;
  if (pool) watch.prewarm(pool.url, pool.size, Worker as unknown as WorkerClass);
  const unregister = watch.register(token);
  let factory: Factory;
  try {
    if (esm) factory = pickFactory(await import(pathToFileURL(entry).href), r.exportName);
    else {
      const exported = createRequire(entry)(entry) as unknown;
      const named = r.exportName ?? factoryName(readFileSync(entry, 'utf8'));
      factory = (
        typeof exported === 'function' ? exported : (exported as Record<string, unknown>)[named ?? '']
      ) as Factory;
      if (typeof factory !== 'function')
        throw new Error('the classic glue exports no factory (pass exportName)');
    }
  } catch (err) {
    if (err instanceof StageError) throw err;
    throw new StageError(
      'glue',
      `the glue did not load: ${err instanceof Error ? err.message : String(err)}`,
    );
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
    moduleArgs: r.moduleArgs,
    threads: r.threads,
    watch,
  });
}
