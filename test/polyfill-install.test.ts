import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import {
  installPolyfills,
  SharedGlobal,
  ThreadBoundData,
  ThreadLocalFunction,
  ThreadLocalGlobal,
  WaitQueue,
} from '../src/polyfill/index.js';
import { installWaitQueue, installWith } from '../src/polyfill/install.js';
import type { Capability } from '../src/profile/caps.js';
import { POLYFILLS } from '../src/profile/polyfills.js';
import { bundleScript } from './harness/bundle.js';

type Namespace = Record<string | symbol, unknown>;
const wasm = WebAssembly as unknown as Namespace;
const ORIGINAL = Object.getOwnPropertyDescriptors(WebAssembly);
const NATIVE = {
  Global: WebAssembly.Global,
  Instance: WebAssembly.Instance,
  instantiate: WebAssembly.instantiate,
  hasFunction: 'Function' in WebAssembly,
};

// Every test starts from this Node's own WebAssembly namespace.
afterEach(() => {
  for (const key of Reflect.ownKeys(WebAssembly)) if (!(key in ORIGINAL)) delete wasm[key];
  Object.defineProperties(WebAssembly, ORIGINAL);
});

const node = (...caps: Capability[]) => ({ host: 'node' as const, caps });

let globalBytes: Uint8Array<ArrayBuffer>;
beforeAll(async () => {
  const wabt = await wabtInit();
  const wat = `(module (import "env" "g" (global $g (mut i32)))
    (func (export "get") (result i32) global.get $g)
    (func (export "set") (param i32) local.get 0 global.set $g))`;
  globalBytes = new Uint8Array(wabt.parseWat('g.wat', wat).toBinary({}).buffer);
});

describe('installPolyfills', () => {
  it('installs all five on an engine with threads and no shared-everything JS API, and reports each', async () => {
    expect(installPolyfills(node('threads'))).toEqual({
      installed: [...POLYFILLS],
      native: [],
      skipped: [],
      reasons: {},
    });
    expect(wasm.ThreadBoundData).toBe(ThreadBoundData);
    expect(wasm.WaitQueue).toBe(WaitQueue);
    const local = new WebAssembly.Global({ value: 'i32', mutable: true, 'thread-local': true } as never, 4);
    expect(local).toBeInstanceOf(ThreadLocalGlobal);
    const shared = new WebAssembly.Global({ value: 'i64', mutable: true, shared: true } as never, 5n);
    expect(shared).toBeInstanceOf(SharedGlobal);
    expect((shared as unknown as SharedGlobal<'i64'>).value).toBe(5n);
    // The instantiation entry points resolve handles: wasm reads the realm's cell.
    const { instance } = await WebAssembly.instantiate(globalBytes, { env: { g: local } });
    const exports = instance.exports as { get(): number; set(v: number): void };
    expect(exports.get()).toBe(4);
    exports.set(9);
    expect((local as unknown as ThreadLocalGlobal<'i32'>).value).toBe(9);
  });

  it('hands every ordinary use to the native constructors unchanged', () => {
    installPolyfills(node('threads'));
    const plain = new WebAssembly.Global({ value: 'f32' });
    expect(plain).toBeInstanceOf(WebAssembly.Global);
    expect(plain).toBeInstanceOf(NATIVE.Global);
    expect(plain.value).toBe(0); // a missing value stays missing (undefined would make NaN)
    expect(() => (WebAssembly.Global as unknown as () => unknown)()).toThrow(TypeError);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(globalBytes), {
      env: { g: new WebAssembly.Global({ value: 'i32', mutable: true }, 2) },
    });
    expect(instance).toBeInstanceOf(NATIVE.Instance);
    expect((instance.exports.get as () => number)()).toBe(2);
    // Never invents WebAssembly.Function: `"Function" in WebAssembly` is how glue detects type reflection.
    expect('Function' in WebAssembly).toBe(NATIVE.hasFunction);
  });

  it('is idempotent: a second call reports the same and wraps nothing twice', () => {
    const first = installPolyfills(node('threads'));
    const patched = { Global: wasm.Global, Instance: wasm.Instance, instantiate: wasm.instantiate };
    expect(installPolyfills(node('threads'))).toEqual(first);
    expect({ Global: wasm.Global, Instance: wasm.Instance, instantiate: wasm.instantiate }).toEqual(patched);
  });

  it('leaves a native WebAssembly.WaitQueue and ThreadBoundData alone and reports them native', () => {
    class NativeWaitQueue {}
    class NativeThreadBoundData {}
    wasm.WaitQueue = NativeWaitQueue;
    wasm.ThreadBoundData = NativeThreadBoundData;
    const report = installPolyfills(node('threads'));
    expect(report.native).toEqual(['thread-bound-data', 'wait-queue']);
    expect(report.installed).toEqual(['thread-local-global', 'thread-local-function', 'shared-global']);
    expect(wasm.WaitQueue).toBe(NativeWaitQueue);
    expect(wasm.ThreadBoundData).toBe(NativeThreadBoundData);
  });

  it('skips shared-global and wait-queue without threads, says why, and leaves `shared: true` to the engine', () => {
    const report = installPolyfills(node('shared-memory'));
    expect(report.skipped).toEqual(['shared-global', 'wait-queue']);
    expect(report.reasons['wait-queue']).toMatch(/threads/);
    expect(report.installed).toEqual(['thread-local-global', 'thread-local-function', 'thread-bound-data']);
    expect(wasm.WaitQueue).toBeUndefined();
    const g = new WebAssembly.Global({ value: 'i32', mutable: true, shared: true } as never, 1);
    expect(g).toBeInstanceOf(NATIVE.Global);
  });

  it('reports the thread-local pair native with set-thread-local and shared-global with set-js-api, touching nothing', () => {
    const report = installPolyfills(node('threads', 'set-thread-local', 'set-js-api'), [
      'thread-local-global',
      'thread-local-function',
      'shared-global',
    ]);
    expect(report).toEqual({
      installed: [],
      native: ['thread-local-global', 'thread-local-function', 'shared-global'],
      skipped: [],
      reasons: {},
    });
    expect(Object.getOwnPropertyDescriptors(WebAssembly)).toEqual(ORIGINAL);
  });

  it('asks the engine too: a real shared Global is reported native even when the profile lacks set-js-api', () => {
    // An engine whose Global honours `shared: true` (what set-js-api means), stood in for by a subclass.
    class SharedAwareGlobal extends WebAssembly.Global {
      readonly shared: boolean;
      constructor(desc: WebAssembly.GlobalDescriptor & { shared?: boolean }, v?: unknown) {
        super(desc, v);
        this.shared = desc.shared === true;
      }
    }
    wasm.Global = SharedAwareGlobal;
    expect(installPolyfills(node('threads'), ['shared-global']).native).toEqual(['shared-global']);
    expect(wasm.Global).toBe(SharedAwareGlobal);
  });

  it('installs only what is asked for', () => {
    expect(installPolyfills(node('threads'), ['thread-bound-data']).installed).toEqual(['thread-bound-data']);
    expect(wasm.Global).toBe(NATIVE.Global);
    expect(wasm.instantiate).toBe(NATIVE.instantiate);
  });

  it('builds a one-polyfill bundle from its own installer: the others are reported as not in the bundle', () => {
    const report = installWith({ 'wait-queue': installWaitQueue }, node('threads'), [
      'wait-queue',
      'thread-bound-data',
    ]);
    expect(report).toEqual({
      installed: ['wait-queue'],
      native: [],
      skipped: ['thread-bound-data'],
      reasons: { 'thread-bound-data': 'not in this bundle' },
    });
    expect(wasm.ThreadBoundData).toBeUndefined();
  });

  it('extends a real WebAssembly.Function (Node with type reflection on) with the thread-local option only', async () => {
    const script = await bundleScript(`
      import { installPolyfills, ThreadLocalFunction } from './src/polyfill/index.ts';
      installPolyfills({ host: 'node', caps: ['threads'] });
      const type = { parameters: [], results: ['i32'] };
      const local = new WebAssembly.Function(type, () => 1, { 'thread-local': true });
      const plain = new WebAssembly.Function(type, () => 3);
      console.log(JSON.stringify({
        local: local instanceof ThreadLocalFunction,
        callable: local.function() instanceof WebAssembly.Function && local.function()() === 1,
        plain: typeof plain === 'function' && plain() === 3,
      }));`);
    const out = execFileSync(process.execPath, ['--experimental-wasm-type-reflection', script], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ local: true, callable: true, plain: true });
    expect(ThreadLocalFunction).toBeTypeOf('function');
  });
});
