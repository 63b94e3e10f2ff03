/**
 * The trust tests' fixtures: the demo variants, the publish token, wasm modules built from parts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { custom, func, imp, imports, types, wasm } from '../../src/inspect/wasm-builder.js';

export type DemoName = 'set' | 'sab' | 'wasi-threads' | 'single';
export const DEMO = Object.fromEntries(
  (['set', 'sab', 'wasi-threads', 'single'] as const).map((name) => [
    name,
    new Uint8Array(readFileSync(new URL(`../../fixtures/demo/${name}.wasm`, import.meta.url))),
  ]),
) as Record<DemoName, Uint8Array>;

export const TOKEN = 'weft-trust-token-7f3a9c0e51d2b864';
export const hexOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
export const utf8 = (s: string) => new TextEncoder().encode(s);

// --- wasm bytes -------------------------------------------------------------------------------

/**
 * A valid core module (thread model `single`) built from parts: function imports (module, name),
 * and custom sections (name, payload). Used for compressible blobs and for names that carry taints.
 */
export function wasmModule(
  parts: { imports?: [string, string][]; custom?: [string, Uint8Array][] } = {},
): Uint8Array {
  const imported = parts.imports ?? [];
  return wasm(
    ...(imported.length
      ? [types(func([], [])), imports(...imported.map(([m, n]) => imp.func(m, n, 0)))]
      : []),
    ...(parts.custom ?? []).map(([n, payload]) => custom(n, [...payload])),
  );
}

/** A 48 KiB module that compresses well: its br and gzip copies are stored at publish. */
export const BIG = wasmModule({
  custom: [['weft.pad', utf8('weft pads this module so it compresses. '.repeat(1200))]],
});
