/**
 * What weft reads in an Emscripten glue (or a worker file beside it) and the few rewrites it
 * makes before running it from a blob URL. Pure functions of the text.
 */
import { moduleShape } from './lexer.js';

export interface GlueShape {
  /** ES module glue (`-sEXPORT_ES6`): imported as is; otherwise a classic script. */
  esm: boolean;
  /** Names an ES module exports (`default` included however it is spelled). */
  exports: string[];
  /**
   * The glue is its own pthread worker (Emscripten >= 3.1.58 ES6: `new Worker(new URL(import.meta.url),
   * {name: 'em-pthread'})`): its `import.meta.url` must stay the same-origin URL it runs from.
   */
  selfWorker: boolean;
}

export function glueShape(text: string): GlueShape {
  const { esm, exports } = moduleShape(text);
  return {
    esm,
    exports,
    selfWorker: /new\s+Worker\s*\(\s*(?:new\s+URL\s*\(\s*)?import\.meta\.url\s*\)?\s*[,)]/.test(text),
  };
}

/**
 * A worker file, by what it is: a `module` the glue loads as an ES module worker (static
 * `import`/`export`), or a classic `script` (importScripts, dynamic import(), Node's require).
 */
export function workerKind(text: string): 'module' | 'script' {
  return moduleShape(text).esm ? 'module' : 'script';
}

/**
 * The bundle's script files the glue starts as workers or loads itself: those published as
 * workers, and any other `.js`/`.mjs`/`.cjs` file whose name the glue spells as a string
 * (`locateFile('pthread-main.js')`). Decided from the glue and the files, not by names alone.
 */
export function scriptsOf(
  glue: string,
  entry: string,
  files: { path: string; role: string }[],
): { path: string; role: string }[] {
  return files.filter((f) => {
    if (f.path === entry || f.role === 'wasm') return false;
    if (f.role === 'worker') return true;
    const name = f.path.split('/').at(-1)!;
    return /\.[cm]?js$/.test(name) && (glue.includes(`"${name}"`) || glue.includes(`'${name}'`));
  });
}

/**
 * The size of the pthread pool classic glue starts as it runs (`-sPTHREAD_POOL_SIZE=4`:
 * `var pthreadPoolSize=4;`), when it is a number; 0 otherwise (an expression, or no pool).
 */
export function poolSize(glue: string): number {
  const n = /\bpthreadPoolSize\s*=\s*(\d+)\s*;/.exec(glue);
  return n ? Math.min(Number(n[1]), 64) : 0;
}

/** The factory name of classic (non-ES6) glue: `var createApp = (() => {` or `= (function(`. */
export function factoryName(glue: string): string | undefined {
  return /var\s+([A-Za-z_$][\w$]*)\s*=\s*\(\s*(?:\(\)\s*=>|function\s*\()/.exec(glue)?.[1];
}

/**
 * Resolves the glue's relative file references against the bundle: `new URL('app.wasm',
 * import.meta.url)` becomes `new URL('app.wasm', "<bundle base>")`. From a blob URL those would
 * resolve against `blob:`, which is no base. Every other `import.meta.url` (the script's own
 * address, the URL a self-worker starts from) is left alone: it stays the same-origin blob URL,
 * so the workers it starts are same-origin too.
 */
export function resolveRelativeUrls(glue: string, base: string): string {
  return glue.replace(
    /(new\s+URL\s*\(\s*(?:"[^"\n]*"|'[^'\n]*'|`[^`$\n]*`)\s*,\s*)import\.meta\.url(\s*\))/g,
    (_, head: string, tail: string) => `${head}${JSON.stringify(base)}${tail}`,
  );
}

/** The global registry a glue's `Worker` looks itself up in (see `watchWorkers`). */
export const WORKERS_KEY = 'weft.emscripten.workers';

/**
 * A line put before the glue so that its `new Worker(...)` goes through the load's watcher: where
 * the registry has no entry (in a pthread worker, which runs the same glue) it is the engine's own,
 * looked up when called (Node's glue sets `global.Worker` only after this line ran).
 */
export function workerPrelude(token: string): string {
  return `var Worker=globalThis[Symbol.for(${JSON.stringify(WORKERS_KEY)})]?.get(${JSON.stringify(token)})??function(u,o){return new globalThis.Worker(u,o)};`;
}
