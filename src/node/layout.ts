/**
 * Decisions about a build folder that its files' content makes, for `weft publish`: which glue of a
 * bundle is its entry, which of several wasm-pack targets of one crate is the build a browser
 * loads, which wasm of a .NET `_framework` is the runtime. Pure: description.ts reads the folder.
 */
import { missingReferences, roleOf } from '../registry/bundle.js';
import type { BundleInput } from '../registry/plan.js';
import { chooseEntry, type GlueKind, glueKind } from './glue.js';

const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');
const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);
// A folder's files always carry their bytes (only an upload's commit names files already stored).
const decode = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

export interface EntryChoice {
  /** The glue a browser loader starts from; none when no glue of the bundle loads in a browser. */
  entry?: string;
  kind?: GlueKind;
  /** One line: the file chosen and why, and each file passed over and why. */
  why?: string;
  /** The glue whose references leave the bundle, and those references (`../_content/...`). */
  glue?: string;
  outside: string[];
}

/**
 * The entry of a bundle: of the glue scripts beside its wasm, the one a browser loader can start
 * from with the verified module (glue.ts ranks them), named like the wasm on a tie.
 */
export function entryOf(bundle: BundleInput): EntryChoice {
  const dir = dirOf(bundle.wasmPath);
  const stem = baseOf(bundle.wasmPath).replace(/(_bg)?\.wasm$/, '');
  const scripts = bundle.files.filter(
    (f) => dirOf(f.path) === dir && roleOf(f.path, bundle.wasmPath) === 'glue',
  );
  if (scripts.length === 0) return { outside: [] };
  const candidates = scripts.map((f) => ({
    path: f.path,
    text: decode(f.bytes),
    namedLikeWasm: baseOf(f.path).replace(/\.(m|c)?js$/, '') === stem,
  }));
  const choice = chooseEntry(candidates);
  if (!choice) {
    const said = candidates.map((c) => `${c.path}: ${glueKind(c.text).why}`).slice(0, 3);
    return { why: `no entry: no glue here loads in a browser (${said.join('; ')})`, outside: [] };
  }
  const glue = candidates.find((c) => c.path === choice.entry)!;
  const outside = missingReferences(bundle.files, [glue]).filter((p) => p.startsWith('../'));
  return { entry: choice.entry, kind: choice.kind, why: choice.why, glue: glue.path, outside };
}

/** The runtime wasm of a .NET `_framework` listing: `dotnet.native[.<fingerprint>].wasm`. */
export function dotnetWasm(names: readonly string[]): string | undefined {
  if (!names.includes('dotnet.js')) return undefined;
  const wasm = names.filter((n) => /^dotnet\.native(\.[a-z0-9]+)?\.wasm$/.test(n));
  return wasm.length === 1 ? wasm[0] : undefined;
}

const BINDGEN_TARGETS = new Set(['web', 'bundler', 'bundler-internals', 'nodejs', 'deno', 'no-modules']);

/**
 * Subfolders that are wasm-pack targets of one crate (`web/`, `bundler/`, `nodejs/`, `deno/`: the
 * same `x_bg.wasm` name, each with wasm-bindgen glue) are one build: the target whose glue a
 * browser loader starts from with the verified module (the web target). Undefined otherwise.
 */
export function sameCrateTargets<B extends { dir: string; wasm: string; bundle: BundleInput }>(
  builds: readonly B[],
): { chosen: B; passedOver: string[] } | undefined {
  if (builds.length < 2 || new Set(builds.map((b) => b.wasm)).size !== 1) return undefined;
  const best = builds.map((b) => {
    const stem = b.wasm.replace(/(_bg)?\.wasm$/, '');
    const kinds = b.bundle.files
      .filter(
        (f) => dirOf(f.path) === dirOf(b.bundle.wasmPath) && roleOf(f.path, b.bundle.wasmPath) === 'glue',
      )
      .map((f) => ({
        path: f.path,
        kind: glueKind(decode(f.bytes)),
        named: baseOf(f.path).startsWith(`${stem}.`),
      }))
      .sort((x, y) => y.kind.rank - x.kind.rank || Number(y.named) - Number(x.named));
    return { build: b, top: kinds[0] };
  });
  if (!best.every((b) => b.top?.kind.target && BINDGEN_TARGETS.has(b.top.kind.target))) return undefined;
  const ranked = [...best].sort((x, y) => y.top!.kind.rank - x.top!.kind.rank);
  const chosen = ranked[0]!;
  if (chosen.top!.kind.rank === 0) return undefined;
  const passedOver = ranked.slice(1).map(({ build, top }) => {
    const forNode =
      top!.kind.target === 'nodejs'
        ? ` (on Node too a loader hands the ${chosen.build.dir}/ glue the verified module; to serve this one to Node instead, describe it in weft.json as its own variant for Node hosts)`
        : '';
    return `${build.dir}/: not published: ${top!.path}: ${top!.kind.why}${forNode}`;
  });
  return { chosen: chosen.build, passedOver };
}
