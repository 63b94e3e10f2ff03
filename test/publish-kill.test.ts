import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readModules } from '../src/registry/catalog.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { bundleScript } from './harness/bundle.js';

// Publishes the demo variants into a filesystem store, over and over, under fresh variant names,
// until it is killed. Each round prints the round number once its publish has returned.
const PUBLISHER = `
import { readFileSync } from 'node:fs';
import { fsStore } from './src/registry/stores/fs.ts';
import { publish } from './src/registry/publish.ts';
import { nodeEncoders } from './src/node/encoders.ts';
const [dir] = process.argv.slice(2);
const store = fsStore({ dir });
const bytes = readFileSync('fixtures/demo/sab.wasm');
for (let round = 0; ; round++) {
  await publish(store, { module: 'demo', variant: 'v' + round, bytes: bytes.subarray(0), version: String(round) }, nodeEncoders);
  console.log(round);
}`;

describe('a publish killed mid-flight (SIGKILL on a real process)', () => {
  let script: string;
  beforeAll(async () => {
    script = await bundleScript(PUBLISHER);
  });

  it("leaves the module's previous record whole and readable, naming only blobs that exist", async () => {
    // Kill right after the k-th publish returned: the next one is mid-flight (blob or record write).
    for (const k of [1, 4, 9]) {
      const dir = mkdtempSync(join(tmpdir(), 'weft-kill-'));
      try {
        const child = spawn(process.execPath, [script, dir], {
          cwd: new URL('..', import.meta.url).pathname,
        });
        let rounds = '';
        let stderr = '';
        child.stderr.on('data', (d) => {
          stderr += d;
        });
        child.stdout.on('data', (d) => {
          rounds += d;
          if (rounds.split('\n').length > k && !child.killed) child.kill('SIGKILL');
        });
        // 'close', not 'exit': stdout is read to its end, so every round the child printed before the
        // kill landed is counted, however late its line arrives (pipes are written synchronously).
        const [, signal] = await once(child, 'close');
        expect(signal, `the publisher died on its own: ${stderr}`).toBe('SIGKILL');
        const completed = rounds.trim().split('\n').filter(Boolean).length;
        expect(completed).toBeGreaterThanOrEqual(k);
        const manifest = await readModules(fsStore({ dir }));
        const variants = manifest.modules.demo!.variants;
        // Every publish that printed is in it; at most one more (returned, not printed yet, or in flight).
        expect(variants.length).toBeGreaterThanOrEqual(completed);
        expect(variants.length).toBeLessThanOrEqual(completed + 1);
        for (const v of variants)
          expect(readFileSync(join(dir, 'blobs', `${v.blob}.wasm`)).length).toBe(v.size);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
