/**
 * Import-object resolution: the step that makes a posted handle bind the receiving realm's own cell.
 * Instantiate the same module in every worker with the same handle in its imports, and each instance
 * imports that worker's own `WebAssembly.Global` (or its own binding of a thread-local function).
 */
import { isTagged, type Tagged } from './tag.js';
import { isThreadLocalFunction, ThreadLocalFunction } from './thread-local-function.js';
import { isThreadLocalGlobal, ThreadLocalGlobal } from './thread-local-global.js';

/** An import object that may hold polyfill handles, live or as they arrive by `postMessage`. */
export type Imports = Record<
  string,
  Record<string, WebAssembly.ImportValue | ThreadLocalFunction<(...args: never[]) => unknown> | Tagged>
>;

/**
 * A copy of `imports` in which every thread-local global handle (live or as posted) is this realm's
 * `WebAssembly.Global` and every thread-local function wrapper is this realm's callable. Modules
 * without handles keep their namespace object as it is (so a Proxy namespace stays a Proxy).
 */
export function resolveImports(imports: Imports | WebAssembly.Imports): WebAssembly.Imports;
export function resolveImports(
  imports: Imports | WebAssembly.Imports | undefined,
): WebAssembly.Imports | undefined;
export function resolveImports(
  imports: Imports | WebAssembly.Imports | undefined,
): WebAssembly.Imports | undefined {
  if (typeof imports !== 'object' || imports === null) return imports;
  let resolved: Record<string, Record<string, unknown>> | undefined;
  for (const [module, namespace] of Object.entries(imports as Record<string, unknown>)) {
    if (typeof namespace !== 'object' || namespace === null) continue;
    let copy: Record<string, unknown> | undefined;
    for (const [name, value] of Object.entries(namespace)) {
      const replacement = resolveValue(value);
      if (replacement === value) continue;
      copy ??= { ...namespace };
      copy[name] = replacement;
    }
    if (copy) {
      resolved ??= { ...(imports as Record<string, Record<string, unknown>>) };
      resolved[module] = copy;
    }
  }
  return (resolved ?? imports) as WebAssembly.Imports;
}

function resolveValue(value: unknown): unknown {
  if (isThreadLocalGlobal(value)) return ThreadLocalGlobal.revive(value).global();
  if (isThreadLocalFunction(value)) return ThreadLocalFunction.revive(value).function();
  if (isTagged(value, 'shared-global')) {
    // Fail here with the reason instead of with the engine's "global import must be a number".
    throw new TypeError('a SharedGlobal is JS-only: no engine can bind a wasm global import to it yet');
  }
  return value;
}

/** `WebAssembly.instantiate` with {@link resolveImports} applied: bytes in, module and instance out. */
export function instantiate(
  bytes: ArrayBuffer | ArrayBufferView,
  imports?: Imports,
): Promise<WebAssembly.WebAssemblyInstantiatedSource>;
/** `WebAssembly.instantiate` with {@link resolveImports} applied: a module in, an instance out. */
export function instantiate(module: WebAssembly.Module, imports?: Imports): Promise<WebAssembly.Instance>;
export function instantiate(
  source: WebAssembly.Module | ArrayBuffer | ArrayBufferView,
  imports?: Imports,
): Promise<WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource> {
  return WebAssembly.instantiate(source as BufferSource, resolveImports(imports));
}
