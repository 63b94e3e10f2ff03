/** The store conformance suite: every driver (memory, fs, r2 inside workerd) must pass it unchanged. */
import { expect, it } from 'vitest';
import type { Store } from '../../src/registry/store.js';

const bytes = (...values: number[]) => new Uint8Array(values);

export function storeSuite(makeStore: () => Store | Promise<Store>): void {
  it('returns null for a key never written, and the exact bytes after a put', async () => {
    const store = await makeStore();
    expect(await store.get('blobs/absent.wasm')).toBeNull();
    await store.put('blobs/a.wasm', bytes(0, 97, 115, 109));
    expect(await store.get('blobs/a.wasm')).toEqual(bytes(0, 97, 115, 109));
  });

  it('replaces a value whole and lists keys by prefix, sorted', async () => {
    const store = await makeStore();
    await store.put('manifest.json', bytes(1, 2, 3));
    await store.put('manifest.json', bytes(9));
    await store.put('blobs/b.wasm', bytes(2));
    await store.put('blobs/a.wasm', bytes(1));
    expect(await store.get('manifest.json')).toEqual(bytes(9));
    expect(await store.list('blobs/')).toEqual(['blobs/a.wasm', 'blobs/b.wasm']);
    expect(await store.list()).toEqual(['blobs/a.wasm', 'blobs/b.wasm', 'manifest.json']);
    // A prefix inside a folder, and a folder whose name another one starts with.
    await store.put('modules/demo.json', bytes(3));
    await store.put('modules-old/x.json', bytes(4));
    expect(await store.list('blobs/b')).toEqual(['blobs/b.wasm']);
    expect(await store.list('modules/')).toEqual(['modules/demo.json']);
    expect(await store.list('modules/nothing')).toEqual([]);
    expect(await store.list('absent/')).toEqual([]);
  });

  it('deletes, and deleting an absent key is not an error', async () => {
    const store = await makeStore();
    await store.put('blobs/x.wasm', bytes(1));
    await store.delete('blobs/x.wasm');
    await store.delete('blobs/x.wasm');
    expect(await store.get('blobs/x.wasm')).toBeNull();
  });

  it('does not let a caller alias stored bytes by mutating what it put or got', async () => {
    const store = await makeStore();
    const value = bytes(1, 2, 3);
    await store.put('blobs/alias.wasm', value);
    value[0] = 99;
    const got = (await store.get('blobs/alias.wasm'))!;
    got[1] = 99;
    expect(await store.get('blobs/alias.wasm')).toEqual(bytes(1, 2, 3));
  });

  it.each(['../outside', '/etc/passwd', 'blobs/../../x', 'blobs\\..\\x', 'a\0b', '', 'Blobs/UPPER'])(
    'refuses the hostile key %j without touching storage',
    async (key) => {
      const store = await makeStore();
      await expect(store.get(key)).rejects.toThrow(/invalid store key/);
      await expect(store.put(key, bytes(1))).rejects.toThrow(/invalid store key/);
    },
  );

  it('compare-and-swap: creates only when absent, replaces only at the version it read', async () => {
    const store = await makeStore();
    expect(await store.getVersioned('manifest.json')).toBeNull();
    expect(await store.putIf('manifest.json', bytes(1), null)).toBe(true);
    // Absent is a version too: a second creator loses.
    expect(await store.putIf('manifest.json', bytes(2), null)).toBe(false);
    const first = (await store.getVersioned('manifest.json'))!;
    expect(first.value).toEqual(bytes(1));
    expect(await store.putIf('manifest.json', bytes(3), first.version)).toBe(true);
    // The version read before that write is stale now: refused, and the value is left alone.
    expect(await store.putIf('manifest.json', bytes(4), first.version)).toBe(false);
    const second = (await store.getVersioned('manifest.json'))!;
    expect(second.value).toEqual(bytes(3));
    expect(second.version).not.toBe(first.version);
  });

  it('compare-and-swap: of writers racing from one version, exactly one wins', async () => {
    const store = await makeStore();
    await store.put('manifest.json', bytes(0));
    const { version } = (await store.getVersioned('manifest.json'))!;
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => store.putIf('manifest.json', bytes(n), version)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true) + 1;
    expect((await store.getVersioned('manifest.json'))!.value).toEqual(bytes(winner));
  });

  it('stores a 1 MiB value intact', async () => {
    const store = await makeStore();
    const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff);
    await store.put('blobs/big.wasm', big);
    expect(await store.get('blobs/big.wasm')).toEqual(big);
  });
}
