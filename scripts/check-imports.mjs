#!/usr/bin/env node
// The house rules for imports, checked without a dependency: no import cycle among src files, and no
// import from src/server into src/sdk or back (the client must not pull in the server, nor the server
// the client; what both need lives in src/profile). Type-only imports count too: a cycle of types is
// still a knot to untie, and it is how code starts to leak across.
// Reads `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')` of relative paths in
// <root>/src/**/*.ts (not *.test.ts); `.js` specifiers resolve to their `.ts` source.
// Usage: node scripts/check-imports.mjs [root]   (root defaults to the current directory)
// Exits 1 and prints each problem when there is one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const src = join(root, 'src');

/** Every checked file under `dir`, as absolute paths. */
function sources(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts'))
      out.push(path);
  }
  return out;
}

/** The relative specifiers a file imports; comments are dropped first so examples in JSDoc do not count. */
function specifiers(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*[,)]/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.push(m[1]);
  return found.filter((s) => s.startsWith('./') || s.startsWith('../'));
}

/** The `.ts` file a specifier names, or undefined when it is not a source file (json, wasm, outside). */
function resolveSpecifier(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
}

const area = (file) => relative(src, file).split(sep)[0];
const name = (file) => relative(root, file).split(sep).join('/');

const files = existsSync(src) ? sources(src) : [];
const graph = new Map();
const problems = [];
for (const file of files) {
  const targets = new Set();
  for (const spec of specifiers(readFileSync(file, 'utf8'))) {
    const target = resolveSpecifier(file, spec);
    if (!target?.startsWith(src + sep)) continue;
    targets.add(target);
    const [a, b] = [area(file), area(target)];
    if ((a === 'server' && b === 'sdk') || (a === 'sdk' && b === 'server'))
      problems.push(`src/${a} imports src/${b}: ${name(file)} -> ${name(target)}`);
  }
  graph.set(file, [...targets].sort());
}

// Tarjan's strongly connected components: every cycle lies inside one component of two or more
// files (or one file importing itself).
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
let counter = 0;
function connect(v) {
  index.set(v, counter);
  low.set(v, counter++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v)) {
    if (!index.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) !== index.get(v)) return;
  const component = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    component.push(w);
  } while (w !== v);
  if (component.length > 1 || graph.get(v).includes(v)) components.push(component);
}
for (const file of [...graph.keys()].sort()) if (!index.has(file)) connect(file);

/** A shortest loop from `start` back to itself inside `members` (breadth-first). */
function loop(start, members) {
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v)) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = previous.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

// One shortest loop through each file of a component, each loop printed once (rotated to start at
// its first file), so every file in a knot shows how it closes.
for (const component of components) {
  const members = new Set(component);
  const seen = new Set();
  for (const file of component.sort()) {
    const path = loop(file, members).slice(0, -1);
    const first = path.indexOf([...path].sort()[0]);
    const rotated = [...path.slice(first), ...path.slice(0, first)];
    const key = rotated.join('\n');
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(`cycle: ${[...rotated, rotated[0]].map(name).join(' -> ')}`);
  }
}

if (problems.length > 0) {
  for (const line of problems) console.error(line);
  process.exit(1);
}
console.log(`imports: ${files.length} files, no cycle, src/server and src/sdk apart`);
