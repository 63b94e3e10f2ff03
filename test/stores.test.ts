import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Store } from '../src/registry/store.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { lockFile } from '../src/registry/stores/fs-lock.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';
import { storeSuite } from './suites/store.js';

/** A fresh, empty directory for the calling test, removed when it ends. */
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-store-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('store conformance: memory', () => storeSuite(() => memoryStore()));

describe('store conformance: fs', () => {
  storeSuite(async () => fsStore({ dir: await tempDir() }));

  it('writes beside the target and renames, leaving no temporary files behind', async () => {
    const dir = await tempDir();
    const store = fsStore({ dir });
    await store.put('manifest.json', new Uint8Array([1]));
    await store.put('manifest.json', new Uint8Array([2]));
    expect(await readdir(dir)).toEqual(['manifest.json']);
  });

  it('takes over the lock a crashed writer left, and leaves none behind', async () => {
    const dir = await tempDir();
    const store = fsStore({ dir });
    await store.put('manifest.json', new Uint8Array([1]));
    // A compare-and-swap's lock from a process that died mid-write, 60 s ago.
    await writeFile(join(dir, 'manifest.json.lock'), '12345 deadbeef');
    const past = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'manifest.json.lock'), past, past);
    const { version } = (await store.getVersioned('manifest.json'))!;
    expect(await store.putIf('manifest.json', new Uint8Array([2]), version)).toBe(true);
    expect(await store.get('manifest.json')).toEqual(new Uint8Array([2]));
    expect(await readdir(dir)).toEqual(['manifest.json']);
  });

  it("lets exactly one of eight racing writers take over a crashed writer's lock and win (20 rounds)", async () => {
    const dir = await tempDir();
    const store = fsStore({ dir });
    for (let round = 0; round < 20; round++) {
      await store.put('manifest.json', new Uint8Array([0, round]));
      const { version } = (await store.getVersioned('manifest.json'))!;
      await writeFile(join(dir, 'manifest.json.lock'), '12345 deadbeef');
      const past = new Date(Date.now() - 60_000);
      await utimes(join(dir, 'manifest.json.lock'), past, past);
      const wins = await Promise.all(
        [1, 2, 3, 4, 5, 6, 7, 8].map((n) =>
          store.putIf('manifest.json', new Uint8Array([n, round]), version),
        ),
      );
      expect(wins.filter(Boolean), `round ${round}`).toHaveLength(1);
      expect((await store.get('manifest.json'))![0]).toBe(wins.indexOf(true) + 1);
    }
    expect((await readdir(dir)).sort()).toEqual(['manifest.json']);
  });

  it('waits for a lock that is held, and writes once it is released', async () => {
    const dir = await tempDir();
    const store = fsStore({ dir });
    await writeFile(join(dir, 'manifest.json.lock'), '12345 0123abcd');
    let done = false;
    const write = store.putIf('manifest.json', new Uint8Array([7]), null).then((ok) => {
      done = true;
      return ok;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    await rm(join(dir, 'manifest.json.lock'));
    expect(await write).toBe(true);
    expect(await store.get('manifest.json')).toEqual(new Uint8Array([7]));
  });

  it('never takes over a live holder that stalls past the takeover time: its heartbeat keeps the lock', async () => {
    const dir = await tempDir();
    // Takeover after 200 ms without a heartbeat; the holder stalls for 1 s (five times that).
    const store = fsStore({ dir, staleLockMs: 200 });
    const holder = await lockFile(join(dir, 'manifest.json.lock'), 200);
    let done = false;
    const write = store.putIf('manifest.json', new Uint8Array([9]), null).then((ok) => {
      done = true;
      return ok;
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(done).toBe(false);
    expect(await holder.held()).toBe(true);
    await holder.release();
    expect(await write).toBe(true);
    expect(await store.get('manifest.json')).toEqual(new Uint8Array([9]));
    expect(await readdir(dir)).toEqual(['manifest.json']);
  });
});

describe('a failing store', () => {
  const failing: Store = {
    driver: 'broken',
    get: () => Promise.reject(new Error('disk on fire at /secret/path')),
    put: () => Promise.reject(new Error('disk on fire')),
    delete: () => Promise.reject(new Error('disk on fire')),
    list: () => Promise.reject(new Error('disk on fire')),
    getVersioned: () => Promise.reject(new Error('disk on fire')),
    putIf: () => Promise.reject(new Error('disk on fire')),
  };

  it('turns into 503 with Retry-After and a JSON error that leaks nothing, never a 500', async () => {
    const app = createApp({ store: failing });
    for (const path of [
      '/v1/modules',
      '/v1/modules/demo/wasm?caps=threads',
      `/v1/blobs/sha256-${'a'.repeat(64)}.wasm`,
    ]) {
      const res = await app.request(path);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      const text = await res.text();
      expect(JSON.parse(text).error.code).toBe('unavailable');
      expect(text).not.toMatch(/secret|fire/);
    }
    expect((await app.request('/healthz')).status).toBe(200);
  });
});
