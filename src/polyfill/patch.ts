/**
 * How the polyfill goes onto `WebAssembly`: wrappers that handle the proposal's new options and hand
 * every other call, unchanged, to the native member they replace. Each carries
 * `Symbol.for('weft.polyfill')`, so nothing is ever wrapped twice or mistaken for native.
 */
import { NATIVE } from '../detect/native-api.js';
import { resolveImports } from './imports.js';
import { SharedGlobal } from './shared-global.js';
import { isPolyfilled, POLYFILLED } from './tag.js';
import { ThreadLocalFunction } from './thread-local-function.js';
import { ThreadLocalGlobal } from './thread-local-global.js';

type Ctor = { new (...args: unknown[]): unknown; (...args: unknown[]): unknown; prototype: unknown };
export type Namespace = Record<string, unknown>;

const OPTIONS = Symbol.for('weft.polyfill.global-options');

/** Defines `WebAssembly[name]` unless the engine has it: 'native' then, 'installed' otherwise. */
export function define(wasm: Namespace, name: string, value: object): 'installed' | 'native' {
  if (wasm[name] !== undefined) return isPolyfilled(wasm[name]) ? 'installed' : 'native';
  replace(wasm, name, value);
  return 'installed';
}

/** Puts `value` where the native one was, with the same attributes as WebAssembly's own members. */
function replace(wasm: Namespace, name: string, value: object): void {
  Object.defineProperty(value, POLYFILLED, { value: true });
  Object.defineProperty(wasm, name, { value, writable: true, configurable: true, enumerable: false });
}

/** A constructor that handles some calls itself and hands every other one, unchanged, to `native`. */
function wrapConstructor(native: Ctor, own: (args: unknown[], newTarget: Ctor) => unknown): Ctor {
  const wrapper = function (this: unknown, ...args: unknown[]) {
    if (!new.target) return Reflect.apply(native, this, args); // native throws "requires new"
    return own(args, new.target as Ctor) ?? Reflect.construct(native, args, new.target);
  } as unknown as Ctor;
  Object.defineProperty(wrapper, 'name', { value: native.name });
  Object.defineProperty(wrapper, NATIVE, { value: native });
  // Native objects keep their prototype, so `instanceof WebAssembly.Global` still holds for them.
  wrapper.prototype = native.prototype;
  return wrapper;
}

/** Lets `new WebAssembly.Global` take `option` (`thread-local` wins over `shared`, as proposed). */
export function patchGlobal(wasm: Namespace, option: 'thread-local' | 'shared'): void {
  if (!isPolyfilled(wasm.Global)) {
    const options = new Set<string>();
    const wrapper = wrapConstructor(wasm.Global as Ctor, ([desc, ...value]) => {
      const d = desc as
        | { value?: string; mutable?: boolean; shared?: boolean; 'thread-local'?: boolean }
        | undefined;
      // Mutability defaults to false, as in the JS API (createThreadLocalGlobal defaults to true).
      if (d?.['thread-local'] && options.has('thread-local')) {
        return new ThreadLocalGlobal(
          { value: d.value as 'i32', mutable: d.mutable === true },
          ...(value as [] | [number]),
        );
      }
      if (d?.shared && options.has('shared') && ['i32', 'i64', 'f32', 'f64'].includes(d.value as string)) {
        return new SharedGlobal({ value: d.value as 'i32', mutable: d.mutable === true }, value[0] as number);
      }
      return undefined;
    });
    Object.defineProperty(wrapper, OPTIONS, { value: options });
    replace(wasm, 'Global', wrapper);
  }
  (wasm.Global as { [OPTIONS]: Set<string> })[OPTIONS].add(option);
}

/** Lets `new WebAssembly.Function(type, fn, {'thread-local': true})` make a thread-local wrapper. */
export function patchFunction(wasm: Namespace): void {
  if (isPolyfilled(wasm.Function)) return;
  const wrapper = wrapConstructor(wasm.Function as Ctor, ([type, fn, options]) =>
    (options as { 'thread-local'?: boolean } | undefined)?.['thread-local']
      ? new ThreadLocalFunction(fn as () => unknown, type as { parameters: string[]; results: string[] })
      : undefined,
  );
  replace(wasm, 'Function', wrapper);
}

/** Makes `instantiate`, `instantiateStreaming` and `new Instance` resolve handles in import objects. */
export function patchInstantiation(wasm: Namespace): void {
  if (isPolyfilled(wasm.Instance)) return;
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const native = wasm[name] as ((...args: unknown[]) => unknown) | undefined;
    if (typeof native !== 'function') continue;
    const wrapper = (source: unknown, imports?: WebAssembly.Imports, ...rest: unknown[]) =>
      native.call(WebAssembly, source, resolveImports(imports), ...rest);
    Object.defineProperty(wrapper, 'name', { value: name });
    replace(wasm, name, wrapper);
  }
  const Instance = wasm.Instance as Ctor;
  const wrapper = wrapConstructor(Instance, ([module, imports, ...rest], newTarget) =>
    imports === undefined
      ? undefined
      : Reflect.construct(
          Instance,
          [module, resolveImports(imports as WebAssembly.Imports), ...rest],
          newTarget,
        ),
  );
  replace(wasm, 'Instance', wrapper);
}
