/**
 * What a glue file is, read from its text: ES module, CommonJS or classic script, and for
 * wasm-bindgen glue which target wrote it. A loader imports the bundle's entry in a browser and
 * hands it the module weft verified, so the entry must be an ES module that can take that module:
 * wasm-bindgen's `web` target (`__wbg_init`/`initSync`), .NET's `dotnet.js`, Emscripten's glue.
 * The `bundler` target imports its wasm as an ES module, which no browser does without a bundler;
 * the `nodejs` target is CommonJS that reads its wasm from disk; neither is an entry for a browser.
 * Decided from the files' content, never from their names alone. Pure.
 */

export type Syntax = 'esm' | 'commonjs' | 'script';
export type BindgenTarget = 'web' | 'bundler' | 'bundler-internals' | 'nodejs' | 'deno' | 'no-modules';

export interface GlueKind {
  syntax: Syntax;
  /** Set for wasm-bindgen glue, and `dotnet` for .NET's loader. */
  target?: BindgenTarget | 'dotnet';
  /** How well a browser loader can start from it: higher is better, 0 never. */
  rank: number;
  /** Why, in words a publisher can check against the file. */
  why: string;
}

/** A top-level `import`/`export` statement (at a line start or after `;`/`}` in minified code). */
const ESM_STATEMENT =
  /(?:^|[;}\n])[ \t]*(?:import\s*(?:[\w$]+\s*(?:,|from\b)|\{|\*|["'])|export\s*(?:\{|\*|default\b|function\b|class\b|const\b|let\b|var\b|async\b))/m;
/** CommonJS exports; a UMD guard (`typeof module`, `typeof exports`) makes the file a script too. */
const CJS_EXPORTS =
  /\bmodule\.exports\b|(?:^|[^.\w$])exports\.[\w$]+\s*=|Object\.defineProperty\(\s*exports\b/;
const UMD_GUARD = /typeof\s+(?:module|exports)\b/;
const WASM_IMPORT = /\bimport\s+(?:\*\s*as\s+[\w$]+|[\w$]+)\s+from\s*["']([^"']+\.wasm)["']/;
const BINDGEN = /__wbindgen_|__wbg_/;

/** The syntax of a script: what a browser's `import()` needs is `esm`. */
export function syntaxOf(text: string): Syntax {
  if (ESM_STATEMENT.test(text) || /\bimport\.meta\b/.test(text)) return 'esm';
  if (CJS_EXPORTS.test(text) && !UMD_GUARD.test(text)) return 'commonjs';
  return 'script';
}

/** What a glue file is, and how well a browser loader handed the verified module can start from it. */
export function glueKind(text: string): GlueKind {
  const syntax = syntaxOf(text);
  const wasmImport = WASM_IMPORT.exec(text);
  if (syntax === 'esm' && /export\s*\{[^}]*\bas\s+dotnet\b|export\s+const\s+dotnet\b/.test(text))
    return {
      syntax,
      target: 'dotnet',
      rank: 5,
      why: ".NET's loader: an ES module exporting `dotnet` (dotnet.create()), with the boot config",
    };
  if (wasmImport)
    return {
      syntax,
      ...(BINDGEN.test(text) || /_bg\.wasm$/.test(wasmImport[1]!) ? { target: 'bundler' as const } : {}),
      rank: 1,
      why: `imports its wasm as an ES module (\`from '${plain(wasmImport[1]!)}'\`): only a bundler loads that`,
    };
  if (BINDGEN.test(text)) return bindgenKind(text, syntax);
  // Emscripten's own markers survive its minification (toolchain.ts reads the same).
  const made = /\bwasmBinaryFile\b|Emscripten|emscripten/.test(text) ? 'Emscripten glue, ' : '';
  if (syntax === 'esm') return { syntax, rank: 3, why: `${made}an ES module` };
  if (syntax === 'script') return { syntax, rank: 2, why: `${made}a classic script (no import or export)` };
  return { syntax, rank: 0, why: 'CommonJS (`module.exports`): no browser loads it' };
}

function bindgenKind(text: string, syntax: Syntax): GlueKind {
  const init = /\b(?:__wbg_init|initSync)\b/.test(text);
  if (/\bDeno\./.test(text))
    return {
      syntax,
      target: 'deno',
      rank: 1,
      why: 'wasm-bindgen deno target: reads its wasm with `Deno.readFile`',
    };
  if (syntax === 'commonjs')
    return /__dirname|require\(\s*["'`](?:node:)?fs["'`]/.test(text)
      ? {
          syntax,
          target: 'nodejs',
          rank: 0,
          why: 'wasm-bindgen nodejs target: CommonJS reading its wasm from disk (`__dirname`); no browser loads it',
        }
      : { syntax, rank: 0, why: 'wasm-bindgen glue as CommonJS (`module.exports`): no browser loads it' };
  if (syntax === 'script')
    return {
      syntax,
      target: 'no-modules',
      rank: 2,
      why: 'wasm-bindgen glue as a classic script (no import or export): it sets a global, `import()` gets nothing',
    };
  if (init)
    return {
      syntax,
      target: 'web',
      rank: 4,
      why: `wasm-bindgen web target: an ES module that initialises from a given module (\`${/__wbg_init/.test(text) ? '__wbg_init' : 'initSync'}\`${/import\.meta\.url/.test(text) ? ', default URL from `import.meta.url`' : ''})`,
    };
  if (/export\s+function\s+__wbg_set_wasm\b/.test(text))
    return {
      syntax,
      target: 'bundler-internals',
      rank: 1,
      why: "wasm-bindgen bundler target's internals: waits for its wasm (`__wbg_set_wasm`) from the bundler glue",
    };
  return { syntax, rank: 3, why: 'an ES module with wasm-bindgen glue' };
}

/** A candidate entry: a script of the bundle, and whether it is named like the wasm (a tie-break). */
export interface EntryCandidate {
  path: string;
  text: string;
  namedLikeWasm: boolean;
}

/** The entry a browser loader starts from, and one line on why (naming each file passed over). */
export function chooseEntry(
  candidates: readonly EntryCandidate[],
): { entry: string; kind: GlueKind; why: string } | undefined {
  const kinds = candidates.map((c) => ({ ...c, kind: glueKind(c.text) }));
  const sorted = [...kinds].sort(
    (a, b) =>
      b.kind.rank - a.kind.rank ||
      Number(b.namedLikeWasm) - Number(a.namedLikeWasm) ||
      (a.path < b.path ? -1 : 1),
  );
  const best = sorted[0];
  if (!best || best.kind.rank === 0) return undefined;
  const others = sorted.slice(1, 4).map((c) => `${plain(c.path)}: ${c.kind.why}`);
  return {
    entry: best.path,
    kind: best.kind,
    why: `entry ${plain(best.path)}: ${best.kind.why}${others.length ? `; not ${others.join('; not ')}` : ''}${sorted.length > 4 ? '; ...' : ''}`,
  };
}

const plain = (s: string) => (/^[A-Za-z0-9._/-]{1,120}$/.test(s) ? s : '(a file)');
