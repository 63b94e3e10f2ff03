/**
 * How weft's `Module` fields meet the caller's `moduleArgs`: composed, never silently replaced.
 * weft supplies `locateFile` (answering for the bundle's files, every byte verified),
 * `instantiateWasm` (the verified module) and, in browsers, `mainScriptUrlOrBlob` (the glue's
 * same-origin blob URL). A caller's own field of the same name is kept and wrapped; a caller who
 * needs more passes a function of weft's fields and builds the final object itself.
 */
import type { RemoteVariant } from '../sdk/load.js';

type Receive = (instance: WebAssembly.Instance, module?: WebAssembly.Module) => void;

/** The `Module` fields weft supplies (spread them into your own in the function form). */
export interface WeftModuleArgs {
  /** Answers for the bundle's files (a blob URL or written path of verified bytes); else the caller's, else the bundle URL. */
  locateFile(path: string, prefix?: string): string;
  /** Instantiates the verified module and passes it on (Emscripten hands it to each pthread worker). */
  instantiateWasm(imports: WebAssembly.Imports, receive: Receive): object;
  /** Browsers: the glue's same-origin blob URL, the script pthread workers load. */
  mainScriptUrlOrBlob?: string;
}

/** What else a `moduleArgs` function may want to know. */
export interface WeftContext {
  variant: RemoteVariant;
  /** Whether threads may start (false on a retry of an optional-threads build on one thread). */
  threads: boolean;
  /** The verified module `instantiateWasm` instantiates. */
  module: WebAssembly.Module;
  /** The URL (blob URL or written path) weft gives for a file of the bundle, if it is one. */
  file(path: string): string | undefined;
}

/**
 * `moduleArgs`: fields composed with weft's, or a function of weft's fields that returns the
 * whole `Module` object (`(weft) => ({ ...weft, mainScriptUrlOrBlob: weft.mainScriptUrlOrBlob + '#...' })`).
 */
export type ModuleArgs =
  | Record<string, unknown>
  | ((weft: WeftModuleArgs, context: WeftContext) => Record<string, unknown>);

type CallerLocate = (path: string, prefix: string) => string;
type CallerInstantiate = (
  imports: WebAssembly.Imports,
  receive: Receive,
  module: WebAssembly.Module,
) => unknown;

/**
 * The `Module` object for the factory. An object's fields win where weft supplies none; where it
 * does: `locateFile` answers bundle files itself and delegates other paths to the caller's;
 * a caller's `instantiateWasm` is called with weft's verified module as a third argument, and an
 * instance it reports with another module is refused (`onRefused`); a caller's
 * `mainScriptUrlOrBlob` is theirs (weft's is then unused).
 */
export function composeModuleArgs(
  weft: WeftModuleArgs,
  context: WeftContext,
  args: ModuleArgs | undefined,
  onRefused: (err: Error) => void,
): Record<string, unknown> {
  if (typeof args === 'function') return args(weft, context);
  const caller = args ?? {};
  const out: Record<string, unknown> = { ...weft, ...caller };
  const theirLocate = caller.locateFile as CallerLocate | undefined;
  if (typeof theirLocate === 'function')
    out.locateFile = (path: string, prefix = '') => context.file(path) ?? theirLocate(path, prefix);
  else out.locateFile = weft.locateFile;
  const theirInstantiate = caller.instantiateWasm as CallerInstantiate | undefined;
  if (typeof theirInstantiate === 'function')
    out.instantiateWasm = (imports: WebAssembly.Imports, receive: Receive) =>
      theirInstantiate(
        imports,
        (instance, module) => {
          if (module && module !== context.module)
            onRefused(
              new Error("the caller's instantiateWasm reported another module than the verified one"),
            );
          else receive(instance, context.module);
        },
        context.module,
      );
  else out.instantiateWasm = weft.instantiateWasm;
  return out;
}
