/**
 * The top-level `import`/`export` statements of a JavaScript text, found by a small lexer that
 * steps over strings, template literals, comments and regular expressions, so a keyword inside
 * any of them is never taken for a statement. Enough to tell an ES module from a script and to
 * read its export list; it is not a parser (no dependency: es-module-lexer would add a wasm blob
 * and its init to the browser bundle, for the one question weft asks).
 */

export interface ModuleShape {
  /** Whether the text has a static `import`/`export` statement: it must be loaded as an ES module. */
  esm: boolean;
  /** The names it exports (`default` for `export default`, `export { x as default }`, ...). */
  exports: string[];
}

// After these a `/` starts a regular expression; after a name, a number or `)`/`]` it divides.
const REGEX_AFTER = new Set('(,=:[!&|?{};+-*%<>~^'.split(''));
const REGEX_KEYWORDS = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

/** The module shape of `text` (an Emscripten glue, a worker file). */
export function moduleShape(text: string): ModuleShape {
  // No statement without its keyword: most classic glue is answered without lexing its 50 KB
  // (which took 50 ms in a fresh Node 20 process, the lexer not yet compiled).
  if (!/\b(?:import|export)\b/.test(text)) return { esm: false, exports: [] };
  const exports: string[] = [];
  let esm = false;
  let prev = ''; // last significant token: a punctuator, or a word
  let depth = 0; // braces: statements are found at depth 0 only
  const templates: number[] = []; // brace depth at each `${` of open templates
  let i = 0;
  const n = text.length;
  const skipString = (q: string) => {
    for (i++; i < n && text[i] !== q; i++) if (text[i] === '\\') i++;
    i++;
  };
  const skipTemplate = () => {
    // From inside a template (after ` or a closing `}` of `${`), to its end or its next `${`.
    for (; i < n; i++) {
      const c = text[i];
      if (c === '\\') i++;
      else if (c === '`') {
        i++;
        return;
      } else if (c === '$' && text[i + 1] === '{') {
        templates.push(depth);
        depth++;
        i += 2;
        return;
      }
    }
  };
  const skipRegex = () => {
    let cls = false;
    for (i++; i < n; i++) {
      const c = text[i];
      if (c === '\\') i++;
      else if (c === '[') cls = true;
      else if (c === ']') cls = false;
      else if (c === '/' && !cls) break;
      else if (c === '\n') break;
    }
    for (i++; i < n && /[a-z]/i.test(text[i]!); i++);
  };
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') i = (text.indexOf('\n', i) + 1 || n + 1) - 1;
    else if (c === '/' && next === '*') i = (text.indexOf('*/', i + 2) + 2 || n + 1) - 1;
    else if (c === '"' || c === "'") {
      skipString(c);
      prev = 'x';
      continue;
    } else if (c === '`') {
      i++;
      skipTemplate();
      prev = 'x';
      continue;
    } else if (c === '/') {
      if (!prev || REGEX_AFTER.has(prev) || REGEX_KEYWORDS.has(prev)) {
        skipRegex();
        prev = 'x';
        continue;
      }
      prev = '/';
    } else if (/[\w$]/.test(c)) {
      let j = i;
      while (j < n && /[\w$]/.test(text[j]!)) j++;
      const word = text.slice(i, j);
      // A statement starts after `;`, `}`, `{`, `)` (minified `}export default`) or at the start.
      const atStatement =
        depth === 0 && (!prev || prev === ';' || prev === '}' || prev === ')' || prev === '{');
      if (atStatement && /^(?:import|export)$/.test(word) && !/^\s*[.(]/.test(text.slice(j, j + 8))) {
        esm = true;
        if (word === 'export') j = readExport(text, j, exports);
        else prev = 'import';
      }
      prev = word === 'export' ? ';' : word;
      i = j;
      continue;
    } else if (c === '{') {
      depth++;
      prev = c;
    } else if (c === '}') {
      if (templates.length && templates.at(-1) === depth - 1) {
        templates.pop();
        depth--;
        i++;
        skipTemplate();
        prev = 'x';
        continue;
      }
      depth--;
      prev = c;
    } else if (!/\s/.test(c)) prev = c;
    i++;
  }
  return { esm, exports };
}

/** Reads the names of one `export ...` statement from `j` (just after `export`); returns where it ends. */
function readExport(text: string, j: number, out: string[]): number {
  const rest = text.slice(j, j + 4096);
  const head =
    /^\s*(default\b|\{([^}]*)\}|\*\s*(?:as\s+([\w$]+))?|(?:async\s+)?(?:function\*?|class|const|let|var)\s+([\w$]+))/.exec(
      rest,
    );
  if (!head) return j;
  if (head[1] === 'default') out.push('default');
  else if (head[2] !== undefined) {
    for (const spec of head[2].split(',')) {
      const name = spec
        .trim()
        .split(/\s+as\s+/)
        .at(-1)
        ?.trim();
      if (name) out.push(name.replace(/^["']|["']$/g, ''));
    }
  } else if (head[3]) out.push(head[3]);
  else if (head[4]) out.push(head[4]);
  // `export default` and declarations go on lexing as code; `export {...}` is skipped whole.
  return head[2] !== undefined ? j + head[0].length : j + (head[1] === 'default' ? head[0].length : 0);
}
