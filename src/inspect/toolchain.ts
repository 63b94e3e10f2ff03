/**
 * Which toolchain wrote a build, and whether the build starts threads itself, from evidence: the
 * wasm's import and export names, and the glue shipped beside it. The binary alone cannot always
 * tell: Emscripten's release builds (-O3, -Oz) rename every import to module `a` with one-letter
 * names, so a pthreads build is then "a shared memory imported as a.a" and nothing more. Its glue
 * keeps what the binary lost (`__pthread_create_js`, `PThread`, `new Worker(`). Pure.
 */
import type { ModuleFacts } from './facts.js';

export type Toolchain =
  | 'emscripten'
  | 'wasm-bindgen'
  | 'dotnet'
  | 'emnapi'
  | 'napi-wasm'
  | 'wasi'
  | 'unknown';

/**
 * - `spawns`: the build creates threads itself (Emscripten pthreads, wasm-bindgen-rayon, a glue that
 *   starts Workers) and needs `threads` and `workers`;
 * - `never`: it declares shared memory but has no way to create a thread (a threads-ready WASI build
 *   that never calls thread-spawn, a wasm-bindgen build with atomics but no thread pool);
 * - `unknown`: no evidence either way.
 */
export type ThreadEvidence = 'spawns' | 'never' | 'unknown';

export interface Recognition {
  toolchain: Toolchain;
  threads: ThreadEvidence;
  /** What was seen, in words a publisher can check against the build. */
  evidence: string[];
  /** high: names in the binary say it; medium: the glue says it; low: only the shape fits. */
  confidence: 'high' | 'medium' | 'low';
}

/** Names Emscripten's runtime imports or exports in unminified builds (any version seen). */
const EMSCRIPTEN_NAME =
  /^(_{0,2}emscripten_|stackSave$|stackRestore$|stackAlloc$|dynCall_|setTempRet0$|getTempRet0$|invoke_)/;
/** Names only an Emscripten pthreads build has in its binary. */
const EMSCRIPTEN_PTHREAD_NAME =
  /^(__pthread_create_js$|_emscripten_thread_init$|_emscripten_thread_free_data$|emscripten_tls_init$|_emscripten_thread_exit$|__emscripten_init_main_thread_js$)|wasm_worker/;
const WASM_BINDGEN_NAME = /^__wbg_|^__wbindgen_/;
/** wasm-bindgen's glue module: `wbg` (web targets), `./x_bg.js` (bundler, node), `./snippets/...`. */
const WASM_BINDGEN_MODULE = /^wbg$|^__wbindgen_placeholder__$|_bg\.js$|^\.\/snippets\//;
/** .NET's Mono runtime (dotnet.native.wasm), and its Webcil assemblies (`webcil.memory`). */
const DOTNET_NAME = /^mono_wasm_|^mono_|^getWebcilPayload$/;
/** Node-API on wasm: emnapi (napi-rs, with WASI) and napi-wasm (without). */
const NAPI_NAME = /^napi_|^_emnapi_|^emnapi_/;

/** Markers in the glue, each a string that survives Emscripten's own and Closure's minification. */
const GLUE = {
  emscripten: [/\bwasmBinaryFile\b/, /["']?instantiateWasm["']?/, /Emscripten|emscripten/],
  emscriptenPthreads: [
    /__pthread_create_js/,
    /ENVIRONMENT_IS_PTHREAD/,
    /allocateUnusedWorker/,
    /\bPThread\b/,
  ],
  wasmBindgenThreads: [/initThreadPool|wbg_rayon|startWorkers|__wbindgen_thread_destroy/],
  dotnet: [/dotnet\.native|getDotnetRuntime|mono_wasm_/],
  worker: [/new Worker\(/],
} as const;

/** Recognises the toolchain of a decoded module, with its glue's text when there is any. */
export function recognise(facts: ModuleFacts, glue: readonly string[] = []): Recognition {
  const importNames = facts.imports.map((i) => i.name);
  const names = [...importNames, ...facts.exports.map((e) => e.name)];
  const modules = new Set(facts.imports.map((i) => i.module));
  const shared = facts.memories.some((m) => m.shared);
  const text = glue.join('\n');
  const evidence: string[] = [];
  const glueSays = (markers: readonly RegExp[], what: string) => {
    const hits = markers.filter((m) => m.test(text));
    if (hits.length) evidence.push(`${what}: the glue has ${hits.map(quote).join(', ')}`);
    return hits.length > 0;
  };
  const binarySays = (pattern: RegExp, what: string) => {
    const hits = names.filter((n) => pattern.test(n));
    if (hits.length)
      evidence.push(
        `${what}: the binary has ${hits.slice(0, 3).join(', ')}${hits.length > 3 ? ', ...' : ''}`,
      );
    return hits.length > 0;
  };
  const found = (toolchain: Toolchain, threads: ThreadEvidence, confidence: Recognition['confidence']) => ({
    toolchain,
    threads: shared ? threads : 'never',
    evidence,
    confidence,
  });
  /**
   * An Emscripten-built binary starts threads when its names or its glue say pthreads (or Wasm
   * Workers). Their absence is evidence only where the names are visible, or the glue was read.
   */
  const emscriptenThreads = (namesVisible: boolean): ThreadEvidence =>
    binarySays(EMSCRIPTEN_PTHREAD_NAME, 'Emscripten pthreads') ||
    glueSays(GLUE.emscriptenPthreads, 'Emscripten pthreads') ||
    glueSays(GLUE.worker, 'glue that starts Workers')
      ? 'spawns'
      : namesVisible || glue.length > 0
        ? 'never'
        : 'unknown';

  // .NET's runtime is an Emscripten build: look for it first.
  const dotnetNames = binarySays(DOTNET_NAME, '.NET (Mono) runtime');
  if (dotnetNames || glueSays(GLUE.dotnet, '.NET glue'))
    return found('dotnet', emscriptenThreads(dotnetNames), dotnetNames ? 'high' : 'medium');

  const bindgenModules = [...modules].filter((m) => WASM_BINDGEN_MODULE.test(m));
  if (bindgenModules.length)
    evidence.push(`wasm-bindgen: imports from ${bindgenModules.slice(0, 2).join(', ')}`);
  if (binarySays(WASM_BINDGEN_NAME, 'wasm-bindgen') || bindgenModules.length) {
    // A wasm-bindgen build with atomics runs on one thread until the app (or wasm-bindgen-rayon)
    // starts workers; `__wbindgen_thread_destroy` and `__tls_base` are there only for that.
    const pool =
      binarySays(/^__wbindgen_thread_destroy$|^__tls_base$/, 'wasm-bindgen threads') ||
      glueSays(GLUE.wasmBindgenThreads, 'a thread pool in the glue');
    return found('wasm-bindgen', pool ? 'spawns' : 'never', 'high');
  }

  if (binarySays(EMSCRIPTEN_NAME, 'Emscripten runtime'))
    return found('emscripten', emscriptenThreads(true), 'high');

  const spawn = facts.imports.some(
    (i) => i.module === 'wasi' && (i.name === 'thread-spawn' || i.name === 'thread_spawn'),
  );
  if (spawn) evidence.push('wasi-threads: imports wasi.thread-spawn');
  const wasi = modules.has('wasi_snapshot_preview1') || spawn;
  if (binarySays(NAPI_NAME, 'Node-API on wasm'))
    return found(wasi ? 'emnapi' : 'napi-wasm', spawn ? 'spawns' : 'never', 'high');

  // Emscripten release builds: every import from module `a` under minified names. Only the glue tells.
  const minified =
    modules.size === 1 && modules.has('a') && importNames.every((n) => /^[A-Za-z$_]{1,3}$/.test(n));
  if (minified) evidence.push('minified Emscripten layout: every import is a.<one to three letters>');
  const emscriptenGlue = glueSays(GLUE.emscripten, 'Emscripten glue');
  if (minified || emscriptenGlue)
    return found('emscripten', emscriptenThreads(false), emscriptenGlue ? 'medium' : 'low');

  if (wasi) {
    if (!spawn) evidence.push('WASI: imports wasi_snapshot_preview1 and nothing of a JS toolchain');
    return found('wasi', spawn ? 'spawns' : 'never', 'medium');
  }
  if (glueSays(GLUE.worker, 'glue that starts Workers')) return found('unknown', 'spawns', 'medium');
  return found('unknown', 'unknown', 'low');
}

const quote = (m: RegExp) => m.source.replace(/\\b|\\/g, '').replace(/\|/g, ' or ');
