/**
 * The chosen variant's wasm as the glue gets it: compiled as it downloads, verified on the way
 * (`instantiateVerified`: the compile cannot finish before every byte matched the record), while
 * the glue and its workers are fetched and started; the glue's `instantiateWasm(imports)` then
 * instantiates the compiled module. Chosen by measurement (bench/.exp, Debian emcc pthreads builds
 * of 19 KB and 0.5 MB): in Node 20 compiling at once and instantiating later was ready in a median
 * 700 ms against 977 ms (19 KB) and 2.8 s against 3.2 s (0.5 MB) for holding the response until
 * the imports exist and streaming it into `instantiateStreaming`; in Chromium the two were even.
 */
import type { RemoteVariant } from '../sdk/load.js';
import { instantiateVerified, type Progress } from '../sdk/verify.js';

export interface WasmSource {
  /** The verified module, once compiled. */
  module: WebAssembly.Module | undefined;
  /** The verified module; rejects as the download, the integrity check or the compile failed. */
  compiled: Promise<WebAssembly.Module>;
  /** An instance with the glue's imports (the module passed on for pthread workers). */
  instantiate(
    imports: WebAssembly.Imports,
  ): Promise<{ module: WebAssembly.Module; instance: WebAssembly.Instance }>;
}

export function wasmSource(
  res: Response,
  variant: RemoteVariant,
  report?: (p: Progress) => void,
): WasmSource {
  const src: WasmSource = {
    module: undefined,
    compiled: instantiateVerified(res, variant, variant.name, undefined, report).then(
      ({ module }) => (src.module = module),
    ),
    async instantiate(imports) {
      const module = await src.compiled;
      return { module, instance: await WebAssembly.instantiate(module, imports) };
    },
  };
  // Each use reports its failure (the glue's own Node start-up throws on an unhandled rejection).
  src.compiled.catch(() => {});
  return src;
}
