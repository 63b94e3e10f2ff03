import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import {
  type Imports,
  instantiate,
  revive,
  SharedGlobal,
  ThreadBoundData,
  ThreadLocalFunction,
  ThreadLocalGlobal,
  WaitQueue,
} from '../src/polyfill/index.js';
import { bundleScript } from './harness/bundle.js';

// A module that imports a mutable i32 global and reads and writes it from wasm.
const GLOBAL_WAT = `(module
  (import "env" "g" (global $g (mut i32)))
  (func (export "get") (result i32) global.get $g)
  (func (export "set") (param i32) local.get 0 global.set $g))`;
// A module that imports a function and calls it from wasm.
const CALL_WAT = `(module
  (import "env" "f" (func $f (result i32)))
  (func (export "call") (result i32) call $f))`;

interface Exports {
  get(): number;
  set(v: number): void;
  call(): number;
}

// The worker side: one task per test, given what the main thread posted; it posts back the result.
const WORKER = `
import { parentPort } from 'node:worker_threads';
import * as P from './src/polyfill/index.ts';

const fails = (f) => { try { f(); return null; } catch (e) { return e.name + ': ' + e.message; } };
const exportsOf = async (bytes, imports) => (await P.instantiate(bytes, imports)).instance.exports;

const tasks = {
  perThread({ handle }) {
    const g = P.ThreadLocalGlobal.revive(handle);
    const seen = g.value;
    g.value = 3;
    return {
      seen, after: g.value, id: g.id,
      sameHandle: P.revive(handle) === P.revive(handle),
      sameGlobal: P.ThreadLocalGlobal.revive(handle).global() === P.ThreadLocalGlobal.revive(handle).global(),
      echo: handle,
    };
  },
  defaults({ handles }) {
    return handles.map((h) => P.ThreadLocalGlobal.revive(h).value);
  },
  async wasmGlobal({ handle, bytes }) {
    const a = await exportsOf(bytes, { env: { g: handle } });
    const g = P.revive(handle);
    const first = a.get();
    a.set(3);
    const jsSeesWasm = g.value;
    g.value = 4;
    const wasmSeesJs = a.get();
    const b = await exportsOf(bytes, { env: { g: handle } });
    return { first, jsSeesWasm, wasmSeesJs, secondInstance: b.get() };
  },
  async threadLocalFunction({ wrapper, bytes }) {
    const f = P.ThreadLocalFunction.revive(wrapper);
    const wasm = await exportsOf(bytes, { env: { f: wrapper } });
    const before = {
      initialized: f.initialized, invoke: fails(() => f.invoke()), wasm: fails(() => wasm.call()),
    };
    f.initialize(() => 2);
    return { before, invoke: f.invoke(), wasm: wasm.call(), again: fails(() => f.initialize(() => 5)) };
  },
  threadBound({ data }) {
    const d = P.revive(data);
    return { error: fails(() => d.get()), origin: d.origin, echo: d };
  },
  shared({ i32, i64, f64 }) {
    const [a, b, c] = [i32, i64, f64].map((g) => P.SharedGlobal.revive(g));
    for (let i = 0; i < 1000; i++) a.add(1);
    b.add(5n);
    c.value = 2.5;
    return 'done';
  },
  notify({ queue }) {
    const q = P.WaitQueue.revive(queue);
    q.value = 1;
    return q.notify(1);
  },
  block({ queue }) {
    return P.WaitQueue.revive(queue).wait(0, 10000);
  },
  async polling({ queue, stage }) {
    delete Atomics.waitAsync; // an engine without Atomics.waitAsync: the fallback must carry it
    const q = P.WaitQueue.revive(queue);
    const notEqual = q.waitAsync(1, 10000);
    const timedOut = await q.waitAsync(0, 20).value;
    const leftover = q.notify(1);
    const pending = q.waitAsync(0, 10000);
    P.SharedGlobal.revive(stage).value = 1;
    return { notEqual, timedOut, leftover, async: pending.async, woken: await pending.value };
  },
  async glue({ global, bytes }) {
    P.installPolyfills({ host: 'node', caps: ['threads'] });
    const { instance } = await WebAssembly.instantiate(bytes, { env: { g: global } });
    instance.exports.set(11);
    const own = new WebAssembly.Global({ value: 'i32', mutable: true, 'thread-local': true }, 6);
    const second = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { g: own } });
    return {
      wasm: instance.exports.get(), js: P.revive(global).value,
      own: own instanceof P.ThreadLocalGlobal, ownWasm: second.exports.get(),
    };
  },
};

parentPort.once('message', async ({ task, data }) => {
  try {
    parentPort.postMessage({ ok: true, result: await tasks[task](data) });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.stack || e) });
  }
});
`;

let script: string;
let globalBytes: Uint8Array;
let callBytes: Uint8Array;

beforeAll(async () => {
  script = await bundleScript(WORKER);
  const wabt = await wabtInit();
  const assemble = (wat: string) => wabt.parseWat('test.wat', wat).toBinary({}).buffer;
  globalBytes = assemble(GLOBAL_WAT);
  callBytes = assemble(CALL_WAT);
});

/** Runs one task on a fresh worker thread: `data` travels by postMessage (structured clone). */
function inWorker<T>(task: string, data: unknown): Promise<T> {
  const worker = new Worker(script);
  return new Promise<T>((resolve, reject) => {
    worker.once('message', (reply: { ok: boolean; result: T; error: string }) =>
      reply.ok ? resolve(reply.result) : reject(new Error(reply.error)),
    );
    worker.once('error', reject);
    worker.postMessage({ task, data });
  }).finally(() => worker.terminate());
}

async function exportsOf(bytes: Uint8Array, imports: Imports): Promise<Exports> {
  return (await instantiate(bytes, imports)).instance.exports as unknown as Exports;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How long a wait may last that covers a worker's start: a hang guard only, far above the
 * fraction of a second a worker takes to start even on a loaded machine, below the test timeout.
 */
const WORKER_START_GUARD_MS = 30_000;

/** Notifies until a waiter on another thread has been woken (it may not be waiting yet). */
async function notifyOne(queue: WaitQueue): Promise<void> {
  const deadline = Date.now() + WORKER_START_GUARD_MS;
  while (queue.notify(1) === 0) {
    if (Date.now() > deadline) throw new Error('no waiter showed up');
    await sleep(2);
  }
}

describe('thread-local globals on worker_threads', () => {
  it('gives each thread its own value: main sets 7, a worker starts at the default 0 and sets 3, main still reads 7', async () => {
    const handle = new ThreadLocalGlobal({ value: 'i32' });
    handle.value = 7;
    const r = await inWorker<{ seen: number; after: number }>('perThread', { handle });
    expect(r.seen).toBe(0);
    expect(r.after).toBe(3);
    expect(handle.value).toBe(7);
  });

  it('keeps its identity across postMessage: the id survives, one realm resolves it to one Global, and it comes home as the same handle', async () => {
    const handle = new ThreadLocalGlobal({ value: 'i32' });
    const r = await inWorker<{ id: string; sameHandle: boolean; sameGlobal: boolean; echo: unknown }>(
      'perThread',
      { handle },
    );
    expect(r.id).toBe(handle.id);
    expect(r.sameHandle).toBe(true);
    expect(r.sameGlobal).toBe(true);
    expect(r.echo).toEqual({ __weft: 'thread-local-global', id: handle.id, type: 'i32', mutable: true });
    expect(revive(r.echo)).toBe(handle);
    expect(ThreadLocalGlobal.revive(r.echo).global()).toBe(handle.global());
  });

  it('starts every type at its default value on a new thread (0, 0n, 0, 0, null, null)', async () => {
    const handles = [
      new ThreadLocalGlobal({ value: 'i32' }, 1),
      new ThreadLocalGlobal({ value: 'i64' }, 2n),
      new ThreadLocalGlobal({ value: 'f32' }, 1.5),
      new ThreadLocalGlobal({ value: 'f64' }, 2.5),
      new ThreadLocalGlobal({ value: 'externref' }, 'main only'),
      new ThreadLocalGlobal({ value: 'anyfunc' }),
    ];
    expect(await inWorker('defaults', { handles })).toEqual([0, 0n, 0, 0, null, null]);
    expect(handles.map((h) => h.value)).toEqual([1, 2n, 1.5, 2.5, 'main only', null]);
  });

  it('binds each thread its own Global in the same module: wasm set() shows in JS .value and JS .value in wasm get(), per thread', async () => {
    const handle = new ThreadLocalGlobal({ value: 'i32' });
    const main = await exportsOf(globalBytes, { env: { g: handle } });
    main.set(7);
    expect(handle.value).toBe(7);
    handle.value = 8;
    expect(main.get()).toBe(8);
    const r = await inWorker('wasmGlobal', { handle, bytes: globalBytes });
    expect(r).toEqual({ first: 0, jsSeesWasm: 3, wasmSeesJs: 4, secondInstance: 4 });
    expect(main.get()).toBe(8);
    expect(handle.value).toBe(8);
  });

  it('runs glue written for the proposal unchanged once installed: a `thread-local` WebAssembly.Global posted to a worker binds its cell there', async () => {
    // Installed in the worker only, so this test file's own WebAssembly stays untouched.
    const global = new ThreadLocalGlobal({ value: 'i32' }, 5);
    const r = await inWorker('glue', { global, bytes: globalBytes });
    expect(r).toEqual({ wasm: 11, js: 11, own: true, ownWasm: 6 });
    expect(global.value).toBe(5);
  });
});

describe('thread-local function wrappers on worker_threads', () => {
  it('is bound once per thread: initialised where made, unbound in a worker (JS and wasm calls throw) until initialize() there, and a second initialize throws', async () => {
    const wrapper = new ThreadLocalFunction(() => 1);
    expect(wrapper.initialized).toBe(true);
    expect(() => wrapper.initialize(() => 9)).toThrow(/already initialized on this thread/);
    const main = await exportsOf(callBytes, { env: { f: wrapper } });
    const r = await inWorker('threadLocalFunction', { wrapper, bytes: callBytes });
    expect(r).toEqual({
      before: {
        initialized: false,
        invoke: expect.stringMatching(/^TypeError: .*not initialized on this thread/),
        wasm: expect.stringMatching(/^TypeError: .*not initialized on this thread/),
      },
      invoke: 2,
      wasm: 2,
      again: expect.stringMatching(/^TypeError: .*already initialized/),
    });
    expect(main.call()).toBe(1);
  });

  it('starts unbound everywhere when made with null', () => {
    const wrapper = new ThreadLocalFunction<() => number>(null);
    expect(wrapper.initialized).toBe(false);
    expect(() => wrapper.invoke()).toThrow(TypeError);
    wrapper.initialize(() => 4);
    expect(wrapper.invoke()).toBe(4);
  });
});

describe('ThreadBoundData on worker_threads', () => {
  it('get() throws on another thread, saying it is bound elsewhere, and gives the very same object back home', async () => {
    const object = { onClick: () => 'not cloneable' };
    const data = new ThreadBoundData(object);
    const r = await inWorker<{ error: string; origin: string; echo: unknown }>('threadBound', { data });
    expect(r.error).toMatch(/^TypeError: .*bound to another thread/);
    expect(r.origin).toBe(data.origin);
    expect(data.get()).toBe(object);
    expect(revive<ThreadBoundData>(r.echo).get()).toBe(object);
  });
});

describe('shared globals and wait queues across worker_threads (threads)', () => {
  it('shares one cell: a worker and main each add 1000 to an i32, and the i64 and f64 the worker writes show in main', async () => {
    const i32 = new SharedGlobal({ value: 'i32', mutable: true }, 0);
    const i64 = new SharedGlobal({ value: 'i64', mutable: true }, 1n);
    const f64 = new SharedGlobal({ value: 'f64', mutable: true }, 0.5);
    const done = inWorker('shared', { i32, i64, f64 });
    for (let i = 0; i < 1000; i++) i32.add(1);
    await done;
    expect(i32.value).toBe(2000);
    expect(i64.value).toBe(6n);
    expect(f64.value).toBe(2.5);
    expect(i32.shared).toBe(true);
  });

  it('refuses to write an immutable shared global', () => {
    const g = new SharedGlobal({ value: 'f32' }, 1.5);
    expect(g.value).toBe(1.5);
    expect(() => {
      g.value = 2;
    }).toThrow(TypeError);
  });

  it('wakes a waitAsync on main with a notify from a worker, which reports one waiter woken', async () => {
    const queue = new WaitQueue();
    const waiting = queue.waitAsync(0, WORKER_START_GUARD_MS);
    expect(waiting.async).toBe(true);
    expect(await inWorker('notify', { queue })).toBe(1);
    expect(await waiting.value).toBe('ok');
    expect(queue.value).toBe(1);
    expect(queue.waitAsync(0, 10_000)).toEqual({ async: false, value: 'not-equal' });
  });

  it('wakes a worker blocked in wait() with a notify from main', async () => {
    const queue = new WaitQueue();
    const result = inWorker('block', { queue });
    await notifyOne(queue);
    expect(await result).toBe('ok');
  });

  it('keeps the waitAsync contract where Atomics.waitAsync is missing: not-equal, timed-out, and woken by exactly one notify', async () => {
    const queue = new WaitQueue();
    const stage = new SharedGlobal({ value: 'i32', mutable: true }, 0);
    const result = inWorker('polling', { queue, stage });
    while (stage.value === 0) await sleep(2);
    await notifyOne(queue);
    expect(await result).toEqual({
      notEqual: { async: false, value: 'not-equal' },
      timedOut: 'timed-out',
      leftover: 0,
      async: true,
      woken: 'ok',
    });
  });
});
