/**
 * Runs an Emscripten factory with weft's `Module` fields composed with the caller's, under a
 * watch: a failed instantiation, a throwing glue, a worker that fails and the deadline each end
 * the start-up with the stage it was at, instead of leaving the factory's promise pending.
 */
import type { Chosen } from '../sdk/load.js';
import { variantFault } from '../sdk/verify.js';
import { composeModuleArgs, type ModuleArgs, type WeftContext, type WeftModuleArgs } from './compose.js';
import type { WasmSource } from './wasm.js';
import { StageError, type Watch } from './watch.js';

export type Factory = (args: object) => Promise<unknown>;

export interface StartUp {
  factory: Factory;
  got: Chosen;
  /** The chosen variant's wasm, held until the glue asks for it with its imports. */
  wasm: WasmSource;
  /** The bundle's files as the glue will find them (blob URLs, written paths). */
  files: Map<string, string>;
  /** The bundle's URL prefix, and every path in it (its wasm among them). */
  base: string;
  paths: string[];
  /** The glue's same-origin blob URL (browsers). */
  mainScript?: string;
  moduleArgs?: ModuleArgs;
  threads: boolean;
  watch: Watch;
}

export async function runFactory(s: StartUp): Promise<unknown> {
  const { got, watch, wasm } = s;
  // A file of the bundle: its verified copy when weft made one (glue, workers), else its URL
  // in the bundle (the wasm, which instantiateWasm never fetches).
  const file = (path: string) => s.files.get(path) ?? (s.paths.includes(path) ? s.base + path : undefined);
  const args = s.moduleArgs;
  if (typeof args === 'function' || typeof args?.instantiateWasm === 'function') {
    // The caller's code is handed the verified module before the glue runs: it waits for the compile.
    watch.stage = 'wasm';
    await wasm.compiled.catch((err: unknown) => {
      throw new StageError('wasm', errorMessage(err), err);
    });
    watch.stage = 'glue';
  }
  const weft: WeftModuleArgs = {
    locateFile: (path) => file(path) ?? s.base + path,
    instantiateWasm(imports, receive) {
      watch.stage = wasm.module ? 'instantiate' : 'wasm';
      wasm
        .instantiate(imports)
        .then(({ instance, module }) => {
          watch.stage = 'ready';
          // The glue's start-up runs inside receive (preRun, constructors, main): what it throws ends the load.
          receive(instance, module);
        })
        // A link error of verified bytes is the instantiation's; what receive throws, the start-up's ('ready').
        .catch((err) =>
          watch.fail(watch.stage === 'wasm' && !variantFault(err) ? 'instantiate' : watch.stage, err),
        );
      return {};
    },
  };
  if (s.mainScript) weft.mainScriptUrlOrBlob = s.mainScript;
  const context: WeftContext = {
    variant: got.variant,
    threads: s.threads,
    // Awaited above where a caller's code reads it before the glue's instantiateWasm.
    get module() {
      return wasm.module!;
    },
    file,
  };
  let ready: Promise<unknown>;
  try {
    const composed = composeModuleArgs(weft, context, args, (err) => watch.fail('instantiate', err));
    ready = Promise.resolve(s.factory(composed));
  } catch (err) {
    throw new StageError('glue', errorMessage(err));
  }
  const settled = ready.then(
    (app) => app,
    (err) => {
      // The glue rejects its ready promise on an abort (a failed instantiation among them).
      throw new StageError(watch.stage === 'glue' ? 'glue' : watch.stage, errorMessage(err));
    },
  );
  return Promise.race([settled, watch.failed]).then(
    (app) => {
      watch.settle();
      return app;
    },
    (err: StageError) => {
      watch.fail(err.stage, err);
      throw err;
    },
  );
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
