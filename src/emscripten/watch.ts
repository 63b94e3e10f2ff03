/**
 * One Emscripten start-up, watched so it never hangs: the stage it is at, a deadline, and every
 * worker its glue starts (through `workerPrelude`), so a worker that fails to load or throws ends
 * the load instead of leaving the glue waiting for a message that never comes.
 */
import { WORKERS_KEY } from './glue.js';

/** Where a load of an Emscripten build was when it failed. */
export type Stage = 'wasm' | 'glue' | 'instantiate' | 'workers' | 'ready';

export class StageError extends Error {
  constructor(
    readonly stage: Stage,
    message: string,
    /** The error it stands for, when there was one (the wasm's IntegrityError, say). */
    readonly fault?: unknown,
  ) {
    super(message);
  }
}

export type WorkerClass = new (u: unknown, o?: unknown) => AnyWorker;

interface AnyWorker {
  addEventListener?(type: string, fn: (e: unknown) => void): void;
  on?(type: string, fn: (e: unknown) => void): void;
  terminate(): unknown;
  onerror?: unknown;
}

export interface Watch {
  stage: Stage;
  /** Rejects with a StageError on the first failure or at the deadline. */
  failed: Promise<never>;
  fail(stage: Stage, err: unknown): void;
  /** Workers started so far, and how many have answered. */
  workers: { started: number; answered: number };
  /** Registers the `Worker` the glue's prelude picks up under `token`; unregister once imported. */
  register(token: string): () => void;
  /**
   * Starts `count` workers of `url` now, ahead of the glue that will ask for them: the glue's
   * `new Worker(url)` (no options) takes one. Those left when the load is ready are terminated.
   */
  prewarm(url: string, count: number, Real?: WorkerClass): void;
  /** Ends the watch on a ready module: a later worker error is the glue's own business again. */
  settle(): void;
  /** Terminates every worker this start-up made (after a failure). */
  terminateAll(): void;
}

const registry = (): Map<string, unknown> => {
  const g = globalThis as Record<symbol, Map<string, unknown>>;
  const key = Symbol.for(WORKERS_KEY);
  g[key] ??= new Map();
  return g[key];
};

/**
 * Watches one start-up. `describe` names a worker's URL for messages (the bundle file it is).
 */
export function watch(timeoutMs: number, describe: (url: unknown) => string): Watch {
  let reject: (err: StageError) => void = () => {};
  const failed = new Promise<never>((_, r) => {
    reject = r;
  });
  failed.catch(() => {});
  let settled = false;
  let ok = false;
  const made: AnyWorker[] = [];
  const spares: { url: string; worker: AnyWorker }[] = [];
  const w: Watch = {
    stage: 'glue',
    failed,
    workers: { started: 0, answered: 0 },
    fail(stage, err) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const fault = err instanceof StageError ? err.fault : err;
      reject(new StageError(stage, err instanceof Error ? err.message : String(err), fault));
    },
    register(token) {
      const map = registry();
      map.set(token, makeWorker);
      return () => map.delete(token);
    },
    prewarm(url, count, Real) {
      try {
        for (let i = 0; i < count && !settled; i++) spares.push({ url, worker: start(url, undefined, Real) });
      } catch (err) {
        // Refused (see start): the load ends at stage 'workers', as the glue's own would.
        throw new StageError('workers', errorText(err));
      }
    },
    settle() {
      if (settled) return;
      settled = ok = true;
      clearTimeout(timer);
      for (const { worker } of spares.splice(0)) worker.terminate();
    },
    terminateAll() {
      for (const worker of made) worker.terminate();
    },
  };
  const timer = setTimeout(() => {
    const { started, answered } = w.workers;
    const stage = started > answered ? 'workers' : w.stage;
    w.fail(
      stage,
      `not ready after ${timeoutMs} ms (${started} workers started, ${answered} answered): see the \`timeout\` option`,
    );
  }, timeoutMs);

  // A constructor (`new Worker(url, options)` in the glue) that returns the engine's worker, watched.
  function makeWorker(url: unknown, options?: unknown): AnyWorker {
    const spare = options === undefined ? spares.findIndex((s) => s.url === String(url)) : -1;
    if (spare >= 0) return spares.splice(spare, 1)[0]!.worker;
    return start(url, options);
  }

  function start(url: unknown, options?: unknown, Real?: WorkerClass): AnyWorker {
    Real ??= (globalThis as unknown as { Worker: WorkerClass }).Worker;
    const name = describe(url);
    let worker: AnyWorker;
    try {
      worker = new Real(url, options);
    } catch (err) {
      // Refused outright (a Content-Security-Policy without worker-src for blob:, say).
      w.fail('workers', `worker ${name} was refused: ${errorText(err)}`);
      throw err;
    }
    made.push(worker);
    w.workers.started++;
    let answered = false;
    const onMessage = () => {
      if (!answered) w.workers.answered++;
      answered = true;
    };
    const onError = (e: unknown) => w.fail('workers', `worker ${name} failed: ${errorText(e)}`);
    if (worker.on) {
      // Node: the glue's `on('error', e => worker.onerror(e))` rethrows, which would crash the
      // process; unless the load ended ready, the error ends the load instead.
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', (code) => {
        if (code) onError(`exited with code ${String(code)}`);
      });
      let theirs: ((e: unknown) => void) | undefined;
      Object.defineProperty(worker, 'onerror', {
        configurable: true,
        get: () => (e: unknown) => (ok ? theirs?.(e) : undefined),
        set: (fn) => {
          theirs = fn;
        },
      });
    } else {
      worker.addEventListener?.('message', onMessage);
      worker.addEventListener?.('error', onError);
      worker.addEventListener?.('messageerror', onError);
    }
    return worker;
  }
  return w;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  const ev = e as { message?: string; filename?: string; lineno?: number } | undefined;
  if (ev && typeof ev === 'object' && 'type' in ev)
    return ev.message
      ? `${ev.message}${ev.lineno ? ` (line ${ev.lineno})` : ''}`
      : 'it did not start (no script ran)';
  return String(e);
}
