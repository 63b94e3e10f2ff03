/**
 * A variant bundle (contract.md, manifest schema 2): the files of one build that must travel
 * together (its wasm, the glue compiled with it, its worker scripts, boot and data files), each
 * under the relative path the toolchain wrote, content-addressed as one unit (its id names each
 * file's path, role and SHA-256; a file's `pieces` derive from its bytes, so they never change it). Pure.
 */
import { sha256, toHex } from '../contract/address.js';

export const ROLES = ['wasm', 'glue', 'worker', 'data', 'boot'] as const;
export type Role = (typeof ROLES)[number];

/** A bundle file as the manifest records it; its bytes are stored under `files/sha256-<hex>`. */
export interface BundleFile {
  path: string;
  role: Role;
  size: number;
  /** Lowercase hex SHA-256 of the bytes. */
  sha256: string;
  /** The SHA-256 of each 1 MiB piece (contract/pieces.ts), computed by the server: only for a file of more than one piece. */
  pieces?: string;
}

export interface Bundle {
  /** Content address of the whole: the same files (paths, bytes, roles) and entry give the same id. */
  id: string;
  /** The path of the file a loader starts from: the glue, or the wasm of a wasm-only variant. */
  entry: string;
  files: BundleFile[];
}

export const BUNDLE_ID = /^[0-9a-f]{32}$/;
/** Relative, forward slashes, no `.`/`..` segments, no empty segments, printable and bounded. */
export const BUNDLE_PATH = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._@+~-]+(?:\/[A-Za-z0-9._@+~-]+)*$/;
export const MAX_BUNDLE_FILES = 2000;

/** The role a file plays, from its name, as toolchains name them. */
export function roleOf(path: string, wasmPath: string): Role {
  const name = path.split('/').pop() ?? path;
  if (path === wasmPath) return 'wasm';
  if (/\.worker\.(m|c)?js$|worker[^/]*\.(m|c)?js$/i.test(name)) return 'worker';
  if (/\.(m|c)?js$/.test(name)) return /boot/i.test(name) ? 'boot' : 'glue';
  if (/\.json$/.test(name)) return 'boot';
  return 'data';
}

/** The bundle id: a hash over the sorted (path, role, sha256) list and the entry. */
export async function bundleId(files: readonly BundleFile[], entry: string): Promise<string> {
  const canonical = JSON.stringify([
    entry,
    [...files].sort((a, b) => (a.path < b.path ? -1 : 1)).map((f) => [f.path, f.role, f.sha256]),
  ]);
  return toHex(await sha256(new TextEncoder().encode(canonical))).slice(0, 32);
}

/**
 * Files a glue names that the bundle lacks: quoted file names ending in `.wasm` or `.worker.js`
 * (`"app.wasm"`, `"app.worker.js"`), resolved beside the glue, and every resource of a .NET boot
 * config embedded in the glue (`dotnet.js`), resolved the same way, `../` included: a reference that
 * leaves the bundle comes back as `../<path>`. A fingerprinted file (`dotnet.native.u31nt9bth6.wasm`
 * for `"dotnet.native.wasm"`, as .NET publishes) counts as present.
 */
export function missingReferences(
  files: readonly { path: string }[],
  glue: { path: string; text: string }[],
): string[] {
  const have = new Set(files.map((f) => f.path));
  const missing = new Set<string>();
  for (const g of glue) {
    const dir = g.path.includes('/') ? g.path.slice(0, g.path.lastIndexOf('/') + 1) : '';
    const named = [
      ...g.text.matchAll(/["'`]([A-Za-z0-9_-][A-Za-z0-9_.-]*\.(?:wasm|worker\.m?js))["'`]/g),
    ].map((m) => m[1]!);
    for (const name of [...named, ...dotnetBootResources(g.text)]) {
      const want = resolveBeside(dir, name);
      if (have.has(want) || fingerprinted(want, have)) continue;
      missing.add(want);
    }
  }
  return [...missing];
}

/** A relative reference resolved against a folder of the bundle; one that leaves it keeps its `../`. */
function resolveBeside(dir: string, name: string): string {
  const out = dir.split('/').filter(Boolean);
  let above = 0;
  for (const seg of name.split('/')) {
    if (seg === '..') out.length ? out.pop() : above++;
    else if (seg !== '.' && seg !== '') out.push(seg);
  }
  return '../'.repeat(above) + out.join('/');
}

/**
 * The resources a .NET (8+) `dotnet.js` boot config names, relative to `dotnet.js`. Its
 * `libraryInitializers` list is left out: Blazor resolves those against the page, and the same
 * modules are named relative to `_framework` under `modulesAfterRuntimeReady`.
 */
export function dotnetBootResources(text: string): string[] {
  const start = text.indexOf('/*json-start*/');
  const end = text.indexOf('/*json-end*/');
  if (start < 0 || end < start) return [];
  let config: { resources?: Record<string, unknown> };
  try {
    config = JSON.parse(text.slice(start + '/*json-start*/'.length, end));
  } catch {
    return [];
  }
  const names: string[] = [];
  const collect = (v: unknown) => {
    if (Array.isArray(v))
      for (const r of v) if (r && typeof r.name === 'string' && BOOT_NAME.test(r.name)) names.push(r.name);
  };
  for (const [key, value] of Object.entries(config.resources ?? {}))
    if (key !== 'libraryInitializers') collect(value);
  return names;
}
const BOOT_NAME = /^(?:\.\.\/)*[A-Za-z0-9_@+~-][A-Za-z0-9._@+~/-]{0,400}$/;

function fingerprinted(want: string, have: ReadonlySet<string>): boolean {
  const dot = want.lastIndexOf('.');
  const stem = want.slice(0, dot);
  const ext = want.slice(dot);
  const pattern = new RegExp(`^${escapeRegExp(stem)}\\.[a-z0-9]{6,}${escapeRegExp(ext)}$`);
  return [...have].some((p) => pattern.test(p));
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The Content-Type a bundle file is served with. */
export function contentTypeOf(path: string): string {
  if (/\.(m|c)?js$/.test(path)) return 'text/javascript; charset=utf-8';
  if (path.endsWith('.wasm')) return 'application/wasm';
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.map')) return 'application/json';
  if (path.endsWith('.html')) return 'text/plain; charset=utf-8'; // never rendered as a page of ours
  return 'application/octet-stream';
}
