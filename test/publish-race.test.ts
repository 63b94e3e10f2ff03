/**
 * Publishers racing on one filesystem store: separate `weft publish` processes at the same moment,
 * two on one module (different variants) and one on another module. The manifest's
 * compare-and-swap keeps every publish: afterwards every variant is there, the manifest is valid,
 * and every blob is whole. 50 tries.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { readModules } from '../src/registry/catalog.js';
import { fsStore } from '../src/registry/stores/fs.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const DEMO = new URL('../fixtures/demo/', import.meta.url).pathname;
const TRIES = 50;

it(`loses no publish when three processes publish into one fs store at once (${TRIES} tries)`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-race-'));
  try {
    // Three builds under the names each publisher gives them.
    for (const [file, demo] of [
      ['alpha.wasm', 'single'],
      ['beta.wasm', 'sab'],
      ['gamma.wasm', 'wasi-threads'],
    ] as const)
      copyFileSync(join(DEMO, `${demo}.wasm`), join(dir, file));
    const lost: string[] = [];
    for (let round = 0; round < TRIES; round++) {
      const store = join(dir, `store-${round}`);
      await Promise.all([
        run(process.execPath, [CLI, 'publish', join(dir, 'alpha.wasm'), '--module', 'one', '--store', store]),
        run(process.execPath, [CLI, 'publish', join(dir, 'beta.wasm'), '--module', 'one', '--store', store]),
        run(process.execPath, [CLI, 'publish', join(dir, 'gamma.wasm'), '--module', 'two', '--store', store]),
      ]);
      const manifest = await readModules(fsStore({ dir: store }));
      const names = Object.entries(manifest.modules).flatMap(([m, e]) =>
        e.variants.map((v) => `${m}/${v.name}`),
      );
      for (const want of ['one/alpha', 'one/beta', 'two/gamma'])
        if (!names.includes(want)) lost.push(`round ${round}: ${want}`);
      for (const v of Object.values(manifest.modules).flatMap((e) => e.variants)) {
        const blob = readFileSync(join(store, 'blobs', `${v.blob}.wasm`));
        expect(`sha256-${createHash('sha256').update(blob).digest('hex')}`).toBe(v.blob);
      }
    }
    expect(lost).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);
