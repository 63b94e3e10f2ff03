import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { expect } from 'vitest';
import type { Store } from '../../src/registry/store.js';
import { hexOf, utf8, wasmModule } from './fixtures.js';

// --- the sandbox ----------------------------------------------------------------------------------

export interface Sandbox {
  parent: string;
  storeDir: string;
  /** A real wasm module stored outside the store under its true content address. */
  canary: Uint8Array;
  /** Fails if anything outside the store dir was created, changed or removed. */
  expectUntouched(): Promise<void>;
}

export const DECOY_MODULE = 'zz-decoy-outside';
const CANARY_TEXT = 'CANARY: weft must never read or write this file';

async function walk(root: string, skip: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath ?? entry.path, entry.name);
    if (path === skip || path.startsWith(skip + sep)) continue;
    const info = await stat(path);
    const what = entry.isFile() ? hexOf(new Uint8Array(await readFile(path))) : 'dir';
    out[relative(root, path)] = `${what} ${info.size} ${info.mtimeMs}`;
  }
  return out;
}

/**
 * A parent temp dir holding the store dir and, beside it, a canary file, a decoy manifest and a
 * decoy blob named by its true hash: a store that ever stepped outside its dir would find a
 * module and bytes that verify, so the oracle would see them served.
 */
export async function sandbox(): Promise<Sandbox> {
  const parent = await mkdtemp(join(tmpdir(), 'weft-trust-'));
  const storeDir = join(parent, 'store');
  await mkdir(storeDir);
  const canary = wasmModule({ custom: [['canary', utf8(CANARY_TEXT)]] });
  const blob = `sha256-${hexOf(canary)}`;
  await writeFile(join(parent, 'canary.txt'), CANARY_TEXT);
  await mkdir(join(parent, 'blobs'));
  await writeFile(join(parent, 'blobs', `${blob}.wasm`), canary);
  const decoy = {
    schema: 1,
    modules: {
      [DECOY_MODULE]: {
        version: '6.6.6',
        variants: [
          { name: 'single', model: 'single', requires: [], blob, size: canary.length, polyfills: [] },
        ],
      },
    },
  };
  await writeFile(join(parent, 'manifest.json'), JSON.stringify(decoy));
  const before = await walk(parent, storeDir);
  return {
    parent,
    storeDir,
    canary,
    expectUntouched: async () => expect(await walk(parent, storeDir)).toEqual(before),
  };
}

// The keys weft builds: a module's record (its name passed NAME first), a version's record (its
// version encoded, contract/names.ts), a blob, its copies and its record, a bundle file and record,
// the one-file manifest of earlier versions (read to upgrade it), and garbage collection's keys:
// its lock, the publish leases (random or checked ids) and its marks.
const STORE_KEY =
  /^(?:manifest\.json|changes|modules\/[a-z0-9][a-z0-9._-]{0,63}\.json|versions\/[a-z0-9][a-z0-9._-]{0,63}\/v[a-z0-9._-]{1,192}\.json|blobs\/sha256-[0-9a-f]{64}\.(?:wasm(?:\.br|\.gz)?|json)|files\/sha256-[0-9a-f]{64}|bundles\/[0-9a-f]{32}\.json|locks\/gc\.json|locks\/publish\/[0-9a-f]{24}\.json|gc\/marks\.json)$/;

/** Wraps a store and records every key the app asked it for. */
export function recording(inner: Store): Store & { keys: Set<string>; expectOnlyStoreKeys(): void } {
  const keys = new Set<string>();
  const seen = (key: string) => {
    keys.add(key);
    return key;
  };
  return {
    driver: inner.driver,
    get: (key) => inner.get(seen(key)),
    put: (key, value) => inner.put(seen(key), value),
    delete: (key) => inner.delete(seen(key)),
    list: (prefix) => inner.list(prefix),
    getVersioned: (key) => inner.getVersioned(seen(key)),
    putIf: (key, value, version) => inner.putIf(seen(key), value, version),
    keys,
    expectOnlyStoreKeys() {
      const odd = [...keys].filter((k) => !STORE_KEY.test(k));
      expect(odd, 'keys the app built from request input').toEqual([]);
    },
  };
}

/** Every file under the store dir is a store key (nothing written beside or outside it). */
export async function expectOnlyStoreFiles(storeDir: string): Promise<void> {
  const files = (await readdir(storeDir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) =>
      relative(storeDir, resolve(e.parentPath ?? e.path, e.name))
        .split(sep)
        .join('/'),
    );
  expect(files.filter((f) => !STORE_KEY.test(f))).toEqual([]);
}
