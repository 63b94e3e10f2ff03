import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import wabtInit from 'wabt';
import type * as Polyfill from '../src/polyfill/index.js';
import { CHROMIUM_INSTALL, chromiumPath, launchChromium } from './harness/browser.js';
import { bundleText } from './harness/bundle.js';
import { type PageServer, startPageServer } from './harness/pages.js';
import { describeWith } from './harness/require.js';

// A module that imports a mutable i32 global and reads and writes it from wasm.
const GLOBAL_WAT = `(module
  (import "env" "g" (global $g (mut i32)))
  (func (export "get") (result i32) global.get $g)
  (func (export "set") (param i32) local.get 0 global.set $g))`;

// The page: the polyfill as `P`, a dedicated worker to run tasks in, and two same-origin iframes.
const PAGE = `<!doctype html><meta charset="utf-8"><title>polyfill</title>
<iframe id="a" src="./frame.html"></iframe><iframe id="b" src="./frame.html"></iframe>
<script type="module">
  import * as P from './polyfill.js';
  const worker = new Worker('./worker.js', { type: 'module' });
  const pending = new Map();
  let next = 0;
  worker.onmessage = ({ data: { id, ok, result, error } }) => {
    const p = pending.get(id);
    pending.delete(id);
    ok ? p.resolve(result) : p.reject(new Error(error));
  };
  window.inWorker = (task, data) => new Promise((resolve, reject) => {
    pending.set(next, { resolve, reject });
    worker.postMessage({ id: next++, task, data });
  });
  window.P = P;
  window.ready = true;
</script>`;
const FRAME = `<!doctype html><meta charset="utf-8">
<script type="module">import * as P from './polyfill.js'; window.P = P; window.ready = true;</script>`;
const WORKER = `import * as P from './polyfill.js';
const fails = (f) => { try { f(); return null; } catch (e) { return e.name + ': ' + e.message; } };
const tasks = {
  async global({ handle, bytes }) {
    const { instance } = await P.instantiate(bytes, { env: { g: handle } });
    const g = P.revive(handle);
    const first = instance.exports.get();
    instance.exports.set(3);
    const jsSeesWasm = g.value;
    g.value = 4;
    return { id: g.id, first, jsSeesWasm, wasmSeesJs: instance.exports.get() };
  },
  functionAndData({ wrapper, data }) {
    const f = P.revive(wrapper);
    const before = { initialized: f.initialized, invoke: fails(() => f.invoke()) };
    f.initialize(() => 'worker');
    return { before, invoke: f.invoke(), get: fails(() => P.revive(data).get()) };
  },
  shared({ counter, queue }) {
    const c = P.revive(counter);
    for (let i = 0; i < 1000; i++) c.add(1);
    const q = P.revive(queue);
    q.value = 1;
    return q.notify(1);
  },
};
onmessage = async ({ data: { id, task, data } }) => {
  try { postMessage({ id, ok: true, result: await tasks[task](data) }); }
  catch (e) { postMessage({ id, ok: false, error: String(e && e.stack || e) }); }
};`;

interface Window {
  P: typeof Polyfill;
  inWorker<T>(task: string, data: unknown): Promise<T>;
  crossOriginIsolated: boolean;
}
type Exports = { get(): number; set(v: number): void };

describeWith('Chromium', chromiumPath(), CHROMIUM_INSTALL, () => {
  let pages: PageServer;
  let browser: Browser;
  let page: Page;
  let bytes: number[];

  beforeAll(async () => {
    const wabt = await wabtInit();
    bytes = [...wabt.parseWat('g.wat', GLOBAL_WAT).toBinary({}).buffer];
    const polyfill = await bundleText(`export * from './src/polyfill/index.ts';`);
    pages = await startPageServer({
      '/index.html': { type: 'text/html', body: PAGE },
      '/frame.html': { type: 'text/html', body: FRAME },
      '/worker.js': { type: 'text/javascript', body: WORKER },
      '/polyfill.js': { type: 'text/javascript', body: polyfill },
    });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`${pages.origin}/isolated/index.html`);
    await page.waitForFunction(() =>
      [window, ...Array.from(window.frames)].every((w) => (w as { ready?: boolean }).ready === true),
    );
  });
  afterAll(async () => {
    await browser?.close();
    await pages?.close();
  });

  it('gives the dedicated worker of an isolated page its own thread-local value, wasm and JS agreeing on each side', async () => {
    const r = await page.evaluate(async (bytes) => {
      const { P, inWorker, crossOriginIsolated } = window as unknown as Window;
      const handle = new P.ThreadLocalGlobal({ value: 'i32' });
      const wasm = (await P.instantiate(new Uint8Array(bytes), { env: { g: handle } })).instance
        .exports as Exports;
      wasm.set(7);
      const worker = await inWorker<{ id: string }>('global', { handle, bytes: new Uint8Array(bytes) });
      return { crossOriginIsolated, id: handle.id, js: handle.value, wasm: wasm.get(), worker };
    }, bytes);
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.worker).toEqual({ id: r.id, first: 0, jsSeesWasm: 3, wasmSeesJs: 4 });
    expect([r.js, r.wasm]).toEqual([7, 7]);
  });

  it('gives two same-origin iframes on one thread two values: the emulation is realm-local, not thread-local', async () => {
    const r = await page.evaluate(async (bytes) => {
      const { P } = window as unknown as Window;
      const [a, b] = Array.from(window.frames) as unknown as Window[];
      const handle = new P.ThreadLocalGlobal({ value: 'i32' }, 7);
      const inA = a!.P.ThreadLocalGlobal.revive(handle); // the very object, passed between realms
      const inB = b!.P.ThreadLocalGlobal.revive(structuredClone(handle));
      const seen = [inA.value, inB.value];
      inA.value = 5;
      inB.value = 9;
      const wasmA = (await a!.P.instantiate(new Uint8Array(bytes), { env: { g: handle } })).instance
        .exports as Exports;
      const data = new P.ThreadBoundData({ node: document.body });
      let getInA = '';
      try {
        a!.P.ThreadBoundData.revive(data).get();
      } catch (e) {
        getInA = String(e);
      }
      return {
        seen,
        values: [handle.value, inA.value, inB.value, wasmA.get()],
        sameId: inA.id === handle.id && inB.id === handle.id,
        getInA,
        getHere: data.get().node === document.body,
      };
    }, bytes);
    expect(r.seen).toEqual([0, 0]);
    expect(r.values).toEqual([7, 5, 9, 5]);
    expect(r.sameId).toBe(true);
    // The proposal binds ThreadBoundData to the agent; the emulation can only bind it to the realm.
    expect(r.getInA).toMatch(/TypeError: .*bound to another thread/);
    expect(r.getHere).toBe(true);
  });

  it('leaves a thread-local function unbound in the worker until initialize() there, and refuses ThreadBoundData.get() there', async () => {
    const r = await page.evaluate(async () => {
      const { P, inWorker } = window as unknown as Window;
      const wrapper = new P.ThreadLocalFunction(() => 'page');
      const data = new P.ThreadBoundData(document.body);
      const worker = await inWorker('functionAndData', { wrapper, data });
      return { worker, page: wrapper.invoke() };
    });
    expect(r.worker).toEqual({
      before: {
        initialized: false,
        invoke: expect.stringMatching(/TypeError: .*not initialized on this thread/),
      },
      invoke: 'worker',
      get: expect.stringMatching(/TypeError: .*bound to another thread/),
    });
    expect(r.page).toBe('page');
  });

  it('shares a SharedGlobal with the worker and wakes a waitAsync on the page by a notify from the worker', async () => {
    const r = await page.evaluate(async () => {
      const { P, inWorker } = window as unknown as Window;
      const counter = new P.SharedGlobal({ value: 'i32', mutable: true }, 0);
      const queue = new P.WaitQueue();
      const waiting = queue.waitAsync(0, 10_000);
      const woke = await inWorker<number>('shared', { counter, queue });
      let blocking = '';
      try {
        queue.wait(1, 10);
      } catch (e) {
        blocking = String(e);
      }
      return { woke, result: waiting.async && (await waiting.value), counter: counter.value, blocking };
    });
    expect(r).toMatchObject({ woke: 1, result: 'ok', counter: 1000 });
    // Blocking waits are refused on a page's main thread: waitAsync is the way there (documented).
    expect(r.blocking).toMatch(/TypeError/);
  });
});
