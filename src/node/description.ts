/**
 * What `weft publish <dir>` publishes from a folder: the `weft.json` description file when there is
 * one, otherwise what the folder's layout says (one build per subfolder, or one per `.wasm` file with
 * its glue beside it). Every path stays inside the folder, no symlink is followed, no file is over
 * the limit, and an unknown or contradictory field is an error that names it: bad input publishes
 * nothing.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { isVersion, NAME, NAME_RULE, VERSION_RULE } from '../contract/names.js';
import { MAX_INSPECT_BYTES } from '../inspect/index.js';
import { MAX_BUNDLE_FILES } from '../registry/bundle.js';
import { DeclarationError, parseDeclaration } from '../registry/declaration.js';
import type { BundleInput, PublishSetInput, VariantInput } from '../registry/plan.js';
import { dotnetWasm, entryOf, sameCrateTargets } from './layout.js';

export const DESCRIPTION_FILE = 'weft.json';
/** Glue and worker scripts are read for evidence: large enough for any real glue, bounded for safety. */
const MAX_GLUE_BYTES = 16 * 1024 * 1024;
const GLUE_EXT = new Set(['.js', '.mjs', '.cjs']);
/** A whole build: .NET with its assemblies and ICU data is tens of MB; bounded all the same. */
const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

/** A folder as it will be published, and how it was grouped (for the publisher to check). */
export interface FolderPlan extends PublishSetInput {
  /** One line per variant: which files it took and why. */
  grouping: string[];
}

// `$schema` names the JSON Schema an editor checks the file with (docs/weft.schema.json).
const MODULE_KEYS = new Set(['$schema', 'module', 'version', 'fallback', 'order', 'variants']);
const VARIANT_KEYS = new Set([
  'name',
  'file',
  'glue',
  'folder',
  'entry',
  'requires',
  'model',
  'threads',
  'polyfills',
  'hosts',
  // Written by the demo's build script: checked when present, so a stale description is caught.
  'sha256',
  'bytes',
  'source',
]);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a folder into a publish plan; `module` defaults to the description's, then the folder's name. */
export function planFolder(dir: string, module?: string): FolderPlan {
  const root = realpathSync(dir);
  const described = readDescription(root);
  const plan = described ? fromDescription(root, described) : fromLayout(root);
  const name = module ?? plan.module ?? basename(root);
  if (!NAME.test(name)) throw new DeclarationError('module', NAME_RULE);
  return { ...plan, module: name };
}

function readDescription(root: string): Json | undefined {
  const path = join(root, DESCRIPTION_FILE);
  try {
    lstatSync(path);
  } catch {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(readInside(root, DESCRIPTION_FILE, 1024 * 1024, DESCRIPTION_FILE).toString('utf8'));
  } catch (err) {
    if (err instanceof DeclarationError) throw err;
    throw new DeclarationError(DESCRIPTION_FILE, 'is not valid JSON');
  }
  if (!isObject(data)) throw new DeclarationError(DESCRIPTION_FILE, 'must be an object');
  return data;
}

type Planned = Omit<FolderPlan, 'module'> & { module?: string };

function fromDescription(root: string, data: Json): Planned {
  for (const key of Object.keys(data))
    if (!MODULE_KEYS.has(key)) throw new DeclarationError(safeField(key), 'is not a known field');
  if (data.$schema !== undefined && typeof data.$schema !== 'string')
    throw new DeclarationError('$schema', 'must be a string (a URL)');
  if (!Array.isArray(data.variants) || data.variants.length === 0)
    throw new DeclarationError('variants', 'must be a non-empty array');
  const strings = (v: unknown, field: string) => {
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
      throw new DeclarationError(field, 'must be an array of strings');
    return v as string[];
  };
  const variants: VariantInput[] = [];
  const grouping: string[] = [];
  data.variants.forEach((raw: unknown, i: number) => {
    const at = `variants[${i}]`;
    if (!isObject(raw)) throw new DeclarationError(at, 'must be an object');
    for (const key of Object.keys(raw))
      if (!VARIANT_KEYS.has(key))
        throw new DeclarationError(`${at}.${safeField(key)}`, 'is not a known field');
    if (typeof raw.name !== 'string' || !NAME.test(raw.name))
      throw new DeclarationError(`${at}.name`, NAME_RULE);
    if (typeof raw.file !== 'string')
      throw new DeclarationError(`${at}.file`, 'must be a path inside the folder');
    const bytes = new Uint8Array(readInside(root, raw.file, MAX_INSPECT_BYTES, `${at}.file`));
    if (raw.bytes !== undefined && raw.bytes !== bytes.length)
      throw new DeclarationError(`${at}.bytes`, 'does not match the file (a stale description?)');
    if (raw.sha256 !== undefined) checkSha256(raw.sha256, bytes, `${at}.sha256`);
    const gluePaths =
      raw.glue === undefined
        ? []
        : typeof raw.glue === 'string'
          ? [raw.glue]
          : strings(raw.glue, `${at}.glue`);
    for (const [j, p] of gluePaths.entries()) readInside(root, p, MAX_GLUE_BYTES, `${at}.glue[${j}]`);
    let bundle: BundleInput | undefined;
    if (raw.folder !== undefined) {
      // The whole folder is the build (a .NET wwwroot or _framework, a wasm-bindgen pkg/): `file`
      // is its wasm. `"."` is the described folder itself.
      const folder = typeof raw.folder === 'string' ? normalize(raw.folder).replace(/\/$/, '') : '..';
      const inside = folder === '.' ? '' : folder;
      if (folder === '..' || folder.startsWith('../') || isAbsolute(folder))
        throw new DeclarationError(`${at}.folder`, 'must be a folder inside the folder');
      const file = normalize(raw.file);
      if (inside && !file.startsWith(`${inside}/`))
        throw new DeclarationError(`${at}.folder`, 'must be a folder holding the file');
      bundle = folderBundle(root, inside, inside ? file.slice(inside.length + 1) : file);
    } else if (gluePaths.length) {
      bundle = filesBundle(root, raw.file, gluePaths, `${at}.glue`);
    }
    if (raw.entry !== undefined) {
      if (!bundle || typeof raw.entry !== 'string' || !bundle.files.some((f) => f.path === raw.entry))
        throw new DeclarationError(
          `${at}.entry`,
          "must be one of the build's files (as the bundle names them)",
        );
      bundle.entry = raw.entry;
    }
    const entryLines = bundle ? chooseEntryOf(bundle, raw.entry !== undefined) : [];
    const {
      name,
      file,
      glue: _g,
      folder: _f,
      entry: _e,
      sha256: _s,
      bytes: _b,
      source: _src,
      ...declared
    } = raw;
    variants.push({
      variant: name,
      bytes,
      ...(bundle ? { bundle } : {}),
      declaration: parseDeclaration(declared, at),
    });
    grouping.push(
      `${name}: ${file} with ${bundle ? describeFiles(bundle) : 'no other file'} (as ${DESCRIPTION_FILE} says)`,
      ...entryLines,
    );
  });
  const out: Planned = { variants, grouping };
  if (data.module !== undefined) {
    if (typeof data.module !== 'string') throw new DeclarationError('module', 'must be a string');
    out.module = data.module;
  }
  if (data.version !== undefined) {
    if (!isVersion(data.version)) throw new DeclarationError('version', VERSION_RULE);
    out.version = data.version;
  }
  if (data.fallback !== undefined) {
    if (typeof data.fallback !== 'string' || !variants.some((v) => v.variant === data.fallback))
      throw new DeclarationError('fallback', 'must name one of the variants');
    out.fallback = data.fallback;
  }
  if (data.order !== undefined) out.order = strings(data.order, 'order');
  return out;
}

/**
 * Without a description: a .NET app (`_framework/dotnet.js`) is one build, the whole folder; else
 * one build per subfolder (an output folder per `emcc` run, named by its flavour; wasm-pack
 * targets of one crate are one build, the one a browser loads), else one per `.wasm` file, its
 * glue found by name beside it (`app.wasm` → `app.js`, `app.mjs`, `app.worker.js`; wasm-bindgen's
 * `x_bg.wasm` → `x.js`). Each bundle's entry is chosen by what its glue is (layout.ts).
 */
function fromLayout(root: string): Planned {
  const entries = readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  // A symlink could lead outside the folder: refused, never skipped in silence.
  const link = entries.find((e) => e.isSymbolicLink() && !e.name.startsWith('.'));
  if (link)
    throw new DeclarationError(safePath(link.name), 'is a symlink (or inside one): publish real files');
  const dotnet = dotnetApp(root, entries);
  if (dotnet) return dotnet;
  const wasmHere = entries.filter((e) => e.isFile() && e.name.endsWith('.wasm'));
  const subdirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  const variants: VariantInput[] = [];
  const grouping: string[] = [];
  if (wasmHere.length === 0 && subdirs.length > 0) {
    const builds: { dir: string; wasm: string; bundle: BundleInput; lines: string[] }[] = [];
    for (const d of subdirs) {
      const files = readdirSync(join(root, d.name)).sort();
      const wasm = files.filter((f) => f.endsWith('.wasm'));
      if (wasm.length === 0) continue;
      if (wasm.length > 1)
        throw new DeclarationError(
          `${safeField(d.name)}/`,
          `holds ${wasm.length} wasm files and nothing says which one is the build: describe it in ${DESCRIPTION_FILE}`,
        );
      const bundle = folderBundle(root, d.name, wasm[0]!);
      builds.push({ dir: d.name, wasm: wasm[0]!, bundle, lines: chooseEntryOf(bundle, false) });
    }
    const targets = sameCrateTargets(builds);
    for (const b of targets ? [targets.chosen] : builds) {
      variants.push(variantOf(root, b.dir, `${b.dir}/${b.wasm}`, b.bundle));
      const why = targets
        ? `the wasm-pack target a browser loads, of ${builds.length}`
        : 'one build per subfolder';
      grouping.push(`${b.dir}: ${b.dir}/${b.wasm} with ${describeFiles(b.bundle)} (${why})`, ...b.lines);
    }
    for (const left of targets?.passedOver ?? []) grouping.push(`  ${left}`);
  } else {
    for (const w of wasmHere) {
      const stem = stemOf(w.name);
      // wasm-bindgen's glue imports its snippets/ (inline JS of the crates) by relative path.
      const snippets = glueBeside(root, w.name).length && wasmHere.length === 1 ? snippetsOf(root) : [];
      const bundle = filesBundle(root, w.name, [...glueBeside(root, w.name), ...snippets]);
      variants.push(variantOf(root, stem, w.name, bundle));
      grouping.push(
        `${stem}: ${w.name} with ${describeFiles(bundle)} (files named alike)`,
        ...chooseEntryOf(bundle, false),
      );
    }
  }
  if (variants.length === 0) throw new DeclarationError('(folder)', 'holds no .wasm file');
  return { variants, grouping };
}

/**
 * A .NET app folder (a `wwwroot`: `_framework/dotnet.js` and its runtime wasm) is one build, the
 * whole folder: its boot config loads `../_content/...` library initializers beside `_framework`.
 */
function dotnetApp(root: string, entries: { name: string; isDirectory(): boolean }[]): Planned | undefined {
  // A _framework published alone is one build too, refused if its boot config loads from above it.
  const framework = entries.some((e) => e.name === '_framework' && e.isDirectory()) ? '_framework' : '';
  const wasm = dotnetWasm(readdirSync(join(root, framework)));
  if (!wasm) return undefined;
  const bundle = folderBundle(root, '', framework ? `${framework}/${wasm}` : wasm);
  const what = framework
    ? 'a .NET app: the whole folder, _framework and what it loads beside it'
    : 'a .NET _framework';
  return {
    variants: [variantOf(root, 'dotnet', bundle.wasmPath, bundle)],
    grouping: [
      `dotnet: ${bundle.wasmPath} with ${describeFiles(bundle)} (${what})`,
      ...chooseEntryOf(bundle, false),
    ],
  };
}

/**
 * Sets the bundle's entry (unless declared) to the glue a browser loader starts from, and says
 * which and why in lines for the grouping. The glue's references outside the folder are refused.
 */
function chooseEntryOf(bundle: BundleInput, declared: boolean): string[] {
  const choice = entryOf(bundle);
  if (choice.outside.length)
    throw new DeclarationError(
      safePath(choice.glue ?? bundle.wasmPath),
      `loads ${choice.outside.length === 1 ? 'a file' : `${choice.outside.length} files`} from outside the build's folder (${choice.outside.slice(0, 2).map(shownPath).join(', ')}): publish the folder above it whole`,
    );
  if (declared) return [`  entry ${safePath(bundle.entry!)} (as ${DESCRIPTION_FILE} says)`];
  if (!choice.entry) return choice.why ? [`  ${choice.why}`] : [];
  bundle.entry = choice.entry;
  return [`  ${choice.why}`];
}

/** A variant's name from its wasm file: `app.wasm` → `app`; wasm-bindgen's `x_bg.wasm` → `x`. */
export const stemOf = (wasmFile: string): string => basename(wasmFile, '.wasm').replace(/_bg$/, '');

/** The glue files named like a wasm file in its folder: `app.js`, `app.mjs`, `app.worker.js`, ... */
export function glueBeside(dir: string, wasmFile: string): string[] {
  const stem = stemOf(wasmFile);
  // wasm-bindgen: `x_bg.wasm` with `x.js` (web) or `x_bg.js` (bundler); Emscripten: `app.js`, `app.worker.js`.
  const names = [stem, `${stem}.worker`, basename(wasmFile, '.wasm')];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && GLUE_EXT.has(extname(e.name)))
    .map((e) => e.name)
    .filter((f) => names.includes(f.slice(0, -extname(f).length)))
    .sort();
}

/** One `.wasm` file given on the command line, with its glue found beside it. */
export function planFile(path: string): { input: VariantInput; grouping: string[] } {
  const dir = realpathSync(dirname(path));
  const name = basename(path);
  const bundle = filesBundle(dir, name, glueBeside(dir, name));
  return {
    input: variantOf(dir, stemOf(name), name, bundle),
    grouping: [
      `${stemOf(name)}: ${name} with ${describeFiles(bundle)} (files named alike)`,
      ...chooseEntryOf(bundle, false),
    ],
  };
}

function variantOf(root: string, name: string, file: string, bundle: BundleInput): VariantInput {
  if (!NAME.test(name))
    throw new DeclarationError(
      safeField(name),
      `is not a valid variant name: rename it or describe it in ${DESCRIPTION_FILE}`,
    );
  const wasm = bundle.files.find((f) => f.path === bundle.wasmPath);
  return {
    variant: name,
    bytes: wasm?.bytes ?? new Uint8Array(readInside(root, file, MAX_INSPECT_BYTES, safePath(file))),
    // A wasm with nothing beside it stays a wasm-only variant.
    ...(bundle.files.length > 1 ? { bundle } : {}),
  };
}

/** A bundle of every file under `dir` (paths relative to it), `wasm` its build. */
function folderBundle(root: string, dir: string, wasm: string): BundleInput {
  const files: BundleInput['files'] = [];
  let total = 0;
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, dir, rel), { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      // The description is not part of the build it describes.
      if (e.name.startsWith('.') || (!dir && !rel && e.name === DESCRIPTION_FILE)) continue;
      if (e.isDirectory()) {
        walk(path);
        continue;
      }
      if (files.length >= MAX_BUNDLE_FILES)
        throw new DeclarationError(`${safeField(dir || '.')}/`, `holds over ${MAX_BUNDLE_FILES} files`);
      const inRoot = dir ? `${dir}/${path}` : path;
      const bytes = new Uint8Array(readInside(root, inRoot, MAX_INSPECT_BYTES, safePath(inRoot)));
      total += bytes.length;
      if (total > MAX_BUNDLE_BYTES)
        throw new DeclarationError(`${safeField(dir || '.')}/`, `holds over ${MAX_BUNDLE_BYTES} bytes`);
      files.push({ path, bytes });
    }
  };
  walk('');
  return { wasmPath: wasm, files };
}

/** The files under a wasm-bindgen `snippets/` folder, when there is one. */
function snippetsOf(root: string): string[] {
  const dir = join(root, 'snippets');
  try {
    if (!lstatSync(dir).isDirectory()) return [];
  } catch {
    return [];
  }
  return folderBundle(root, 'snippets', '').files.map((f) => `snippets/${f.path}`);
}

/** A bundle of a wasm and named files beside it or below it (paths relative to the wasm's folder). */
function filesBundle(root: string, wasm: string, others: string[], field = 'glue'): BundleInput {
  const base = wasm.includes('/') ? wasm.slice(0, wasm.lastIndexOf('/') + 1) : '';
  const files = [wasm, ...others].map((p, i) => {
    if (!p.startsWith(base))
      throw new DeclarationError(i === 0 ? 'file' : field, 'must be in the folder of the wasm, or below it');
    return {
      path: p.slice(base.length),
      bytes: new Uint8Array(readInside(root, p, MAX_INSPECT_BYTES, safePath(p))),
    };
  });
  return { wasmPath: wasm.slice(base.length), files };
}

const describeFiles = (b: BundleInput) => {
  const others = b.files.filter((f) => f.path !== b.wasmPath).map((f) => f.path);
  return others.length
    ? `${others.length} more file(s): ${others.slice(0, 4).join(', ')}${others.length > 4 ? ', ...' : ''}`
    : 'no other file';
};

/** Reads a file named relative to the folder: never outside it, never through a symlink, never over `max`. */
function readInside(root: string, path: string, max: number, field: string): Buffer {
  const rel = normalize(path);
  if (isAbsolute(path) || rel === '..' || rel.startsWith(`..${sep}`) || path.includes('\0'))
    throw new DeclarationError(field, 'must be a path inside the folder');
  const full = join(root, rel);
  if (relative(root, full).startsWith('..'))
    throw new DeclarationError(field, 'must be a path inside the folder');
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(full);
  } catch {
    throw new DeclarationError(field, 'names a file that does not exist');
  }
  // Any symlink on the way (the file or a folder above it) could lead outside: refused.
  if (info.isSymbolicLink() || realpathSync(full) !== full)
    throw new DeclarationError(field, 'is a symlink (or inside one): publish real files');
  if (!info.isFile()) throw new DeclarationError(field, 'is not a regular file');
  if (info.size > max) throw new DeclarationError(field, `is over the ${max}-byte limit`);
  return readFileSync(full);
}

function checkSha256(expected: unknown, bytes: Uint8Array, field: string): void {
  if (typeof expected !== 'string' || !/^[0-9a-f]{64}$/.test(expected))
    throw new DeclarationError(field, 'must be 64 lowercase hex');
  // node:crypto here: this file is the Node CLI's, and the check is synchronous.
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected)
    throw new DeclarationError(field, 'does not match the file (a stale description?)');
}

/** A path from the folder, shown in an error only segment by segment as plain words. */
function safePath(path: string): string {
  return path.split('/').map(safeField).join('/');
}

/** Field names from the input are shown only when they are plain words. */
function safeField(key: string): string {
  return /^[A-Za-z0-9_.-]{1,40}$/.test(key) ? key : '(a field)';
}

/** A path the build's own files name, shown whole when it is plain (long .NET package names are). */
const shownPath = (path: string) => (/^[A-Za-z0-9._/-]{1,200}$/.test(path) ? path : '(a file)');
