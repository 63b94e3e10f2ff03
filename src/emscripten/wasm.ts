/**
 * The chosen variant's wasm as the glue gets it: the response is held unread until the glue calls
 * `instantiateWasm(imports, receive)`, then streamed into `instantiateStreaming` with those
 * imports, verified on the way (`instantiateVerified`: nothing is instantiated before every byte
 * matched the record). One streaming step rather than compile, then instantiate: the latter took
 * twice the time in Node 20. Where the module is wanted before the imports exist (a `moduleArgs`
 * function, a caller's own `instantiateWasm`), it is compiled first, as it streams.
 */
import type { RemoteVariant } from '../sdk/load.js';
import { instantiateVerified, type Progress } from '../sdk/verify.js';

export interface WasmSource {
  /** The verified module, once compiled. */
  module: WebAssembly.Module | undefined;
  /** The verified module, compiling the held response if nothing did yet. */
  compile(): Promise<WebAssembly.Module>;
  /** An instance with the glue's imports (the module passed on for pthread workers). */
  instantiate(
    imports: WebAssembly.Imports,
  ): Promise<{ module: WebAssembly.Module; instance: WebAssembly.Instance }>;
  /** Cancels the response if it was never read. */
  discard(): void;
}

export function wasmSource(
  res: Response,
  variant: RemoteVariant,
  report?: (p: Progress) => void,
): WasmSource {
  let held: Response | undefined = res;
  let compiled: Promise<WebAssembly.Module> | undefined;
  const take = () => {
    const r = held!;
    held = undefined;
    return r;
  };
  const src: WasmSource = {
    module: undefined,
    compile() {
      compiled ??= instantiateVerified(take(), variant, variant.name, undefined, report).then(
        ({ module }) => (src.module = module),
      );
      return compiled;
    },
    async instantiate(imports) {
      if (!compiled) {
        const first = instantiateVerified(take(), variant, variant.name, imports, report);
        compiled = first.then(({ module }) => (src.module = module));
        // Its failure is the one `first` reports (the glue's own Node start-up throws on unhandled rejections).
        compiled.catch(() => {});
        const { module, instance } = await first;
        return { module, instance: instance! };
      }
      const module = await compiled;
      return { module, instance: await WebAssembly.instantiate(module, imports) };
    },
    discard() {
      held?.body?.cancel().catch(() => {});
      held = undefined;
    },
  };
  return src;
}

/**
 * Whether an error of the wasm is the variant's fault (its download, integrity or compilation),
 * so that the next acceptable variant is worth trying, as load() does; a link or start-up error
 * of verified bytes is not.
 */
export function variantFault(err: unknown): boolean {
  return !(err instanceof WebAssembly.LinkError || err instanceof WebAssembly.RuntimeError);
}
