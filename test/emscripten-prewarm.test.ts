/**
 * The pthread pool started ahead of the glue (watch.prewarm): the glue's `new Worker(url)` takes
 * a worker already booting, on real Node worker_threads; those left over end with the load. And
 * the pool size read from real emcc glue.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { poolSize, WORKERS_KEY } from '../src/emscripten/glue.js';
import { type WorkerClass, watch } from '../src/emscripten/watch.js';
import { emccBuilds } from './harness/builds.js';

describe('poolSize', () => {
  it('reads -sPTHREAD_POOL_SIZE=4 from Debian emcc 3.1.6 glue, classic and ES6', () => {
    const emcc = emccBuilds();
    expect(emcc, 'install emcc').not.toBeNull();
    expect(poolSize(readFileSync(join(emcc!, 'app/pthreads/app.js'), 'utf8'))).toBe(4);
    expect(poolSize(readFileSync(join(emcc!, 'es6/pthreads/app.mjs'), 'utf8'))).toBe(4);
  });
  it('is 0 for a pool sized by an expression, or no pool', () => {
    expect(poolSize('var pthreadPoolSize=navigator.hardwareConcurrency;')).toBe(0);
    expect(poolSize(readFileSync(join(emccBuilds()!, 'app/simd/app.js'), 'utf8'))).toBe(0);
  });
});

describe('watch.prewarm on Node worker_threads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-prewarm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'idle.js');
  // Stays alive until terminated, as a pthread worker waits for its 'load'.
  writeFileSync(script, "require('node:worker_threads').parentPort.on('message', () => {});");
  const made = (token: string) =>
    (globalThis as unknown as Record<symbol, Map<string, (u: unknown, o?: unknown) => Worker>>)[
      Symbol.for(WORKERS_KEY)
    ]!.get(token)!;

  it('hands the glue the started workers for that url, then starts new ones; spares end with the load', async () => {
    const w = watch(10_000, String);
    const unregister = w.register('t');
    // The engine's own Worker, as the glue sets it in Node.
    const g = globalThis as { Worker?: unknown };
    const before = g.Worker;
    g.Worker = Worker;
    try {
      w.prewarm(script, 3, Worker as unknown as WorkerClass);
      expect(w.workers.started).toBe(3);
      const taken = [made('t')(script), made('t')(script)];
      expect(w.workers.started).toBe(3);
      // Another url, or options, is not the prewarmed pool: started anew.
      taken.push(made('t')(script, { name: 'other' }));
      expect(w.workers.started).toBe(4);
      await Promise.all(taken.map((x) => new Promise((r) => x.once('online', r))));
      w.settle();
      // The third spare was terminated on settle: the next worker of that url is a new one.
      taken.push(made('t')(script));
      expect(w.workers.started).toBe(5);
      await Promise.all(taken.map((x) => x.terminate()));
    } finally {
      g.Worker = before;
      unregister();
    }
  });
});
