/**
 * The files an ES-module glue loads by relative specifier: `import ... from './x.js'`,
 * `import './x.js'`, `export ... from './x.js'`, `import('./x.js')`, and the worker or data it
 * locates with `new URL('x.js', import.meta.url)`. A bundle is served under one base URL
 * (`/v1/bundles/<id>/`), so each of them must be one of the bundle's files: the publish check
 * (publish.ts, beside `missingReferences`) refuses a bundle that lacks one. Pure.
 */

/** A specifier the text loads, with whether it is relative to the script (else a bare name or URL). */
export interface Specifier {
  specifier: string;
  relative: boolean;
}

const FORMS = [
  /\bfrom\s*(["'])([^"'\n]{1,512})\1/g, // import/export ... from '...'
  /\bimport\s*(["'])([^"'\n]{1,512})\1/g, // import '...'
  /\bimport\s*\(\s*(["'])([^"'\n]{1,512})\1\s*[,)]/g, // import('...')
];
const URL_FORM = /\bnew\s+URL\s*\(\s*(["'])([^"'\n]{1,512})\1\s*,\s*import\.meta\.url\s*\)/g;

/**
 * Every specifier a script names in those forms, in order, once each. A module specifier is
 * relative when it starts with `./` or `../`; a `new URL(x, import.meta.url)` argument also when
 * it is a plain file name.
 */
export function specifiersOf(text: string): Specifier[] {
  const found = new Map<string, boolean>();
  for (const form of FORMS)
    for (const m of text.matchAll(form)) {
      const s = m[2]!;
      if (!found.has(s)) found.set(s, /^\.{1,2}\//.test(s));
    }
  for (const m of text.matchAll(URL_FORM)) {
    const s = m[2]!;
    // `new URL('app.wasm', import.meta.url)`; a name with a folder but no `./` is a bundler's package path.
    if (!found.has(s)) found.set(s, /^\.{1,2}\//.test(s) || /^[A-Za-z0-9_@+~-][A-Za-z0-9._@+~-]*$/.test(s));
  }
  return [...found].map(([specifier, relative]) => ({ specifier, relative }));
}

/** A relative specifier resolved against a bundle file's folder; one that leaves the bundle keeps its `../`. */
export function resolveInBundle(from: string, specifier: string): string {
  const out = from.split('/').slice(0, -1);
  let above = 0;
  for (const seg of specifier.replace(/[?#].*$/, '').split('/')) {
    if (seg === '..') out.length ? out.pop() : above++;
    else if (seg !== '.' && seg !== '') out.push(seg);
  }
  return '../'.repeat(above) + out.join('/');
}

/** The files the scripts load by relative specifier that the bundle does not hold. */
export function missingImports(
  files: readonly { path: string }[],
  scripts: readonly { path: string; text: string }[],
): string[] {
  const have = new Set(files.map((f) => f.path));
  const missing = new Set<string>();
  for (const script of scripts)
    for (const { specifier, relative } of specifiersOf(script.text)) {
      // Wasm files are missingReferences' to check (it knows .NET's fingerprinted names).
      // A folder (`new URL('./', import.meta.url)`, .NET's base URL) is no file to hold.
      if (!relative || /\.wasm([?#]|$)/.test(specifier) || /\/([?#]|$)/.test(specifier)) continue;
      const want = resolveInBundle(script.path, specifier);
      if (!have.has(want)) missing.add(want);
    }
  return [...missing];
}
