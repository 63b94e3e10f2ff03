/**
 * Versions on the memory store (versions.ts through publish.ts and the catalog): every published
 * version is kept and pinned reads answer it; a taken version is refused unless the publish is an
 * identical retry; an unversioned publish bumps `+N` and one that changes nothing makes none;
 * rollback and removal keep the invariant, including against each other.
 */
import { describe, expect, it, vi } from 'vitest';
import { dataModule } from '../inspect/wasm-builder.js';
import { createCatalog } from './catalog.js';
import { publish } from './publish.js';
import { moduleKey, parseModule, parseVersionRecord, versionKey } from './records.js';
import { isRemoved } from './schema.js';
import type { Store } from './store.js';
import { memoryStore } from './stores/memory.js';
import { listVersions, removeVersion, rollback, VersionError } from './versions.js';

const bytes = (n: number) => dataModule(256, n);
const put = (store: Store, n: number, version?: string, variant = 'single') =>
  publish(store, { module: 'app', variant, bytes: bytes(n), ...(version ? { version } : {}) }, {});
const current = async (store: Store) => parseModule((await store.get(moduleKey('app')))!, 'app');
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: unknown) => (err instanceof VersionError ? err.code : String(err)),
  );

describe('versions', () => {
  it('keeps every published version: pinned reads answer each, the current one answers unpinned', async () => {
    const store = memoryStore();
    const v1 = await put(store, 1, '1.0.0');
    const v2 = await put(store, 2, '2.0.0');
    const catalog = createCatalog(store, 0);
    expect((await catalog.module('app'))?.version).toBe('2.0.0');
    const pinned = await catalog.version('app', '1.0.0');
    expect(pinned && !isRemoved(pinned) && pinned.variants[0]!.blob).toBe(v1.variant.blob);
    const now = await catalog.version('app', '2.0.0');
    expect(now && !isRemoved(now) && now.variants[0]!.blob).toBe(v2.variant.blob);
    expect(await catalog.version('app', '3.0.0')).toBeNull();
    // Both are snapshots now (the outgoing one before the swap, the new one after it).
    const snap = parseVersionRecord((await store.get(versionKey('app', '2.0.0')))!, 'app', '2.0.0');
    expect('entry' in snap && snap.published).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('refuses a taken version (version_exists) unless the publish is an identical retry', async () => {
    const store = memoryStore();
    await put(store, 1, '1.0.0');
    expect(await code(put(store, 1, '1.0.0'))).toBe('ok');
    expect(await code(put(store, 2, '1.0.0'))).toBe('version_exists');
    expect(await code(put(store, 1, '1.0.0', 'other'))).toBe('version_exists');
    await put(store, 2, '2.0.0');
    // An earlier version is immutable too, even with its own bytes again.
    expect(await code(put(store, 1, '1.0.0'))).toBe('version_exists');
    expect((await current(store)).version).toBe('2.0.0');
  });

  it('bumps +N without a version, skipping taken ones; a publish that changes nothing makes none', async () => {
    const store = memoryStore();
    expect((await put(store, 1)).entry.version).toBe('0.0.0');
    await put(store, 2, '1.0.0');
    expect((await put(store, 3)).entry.version).toBe('1.0.0+1');
    expect((await put(store, 3)).entry.version).toBe('1.0.0+1');
    await put(store, 4, '1.0.0+3');
    await rollback(store, 'app', '1.0.0+1');
    // 1.0.0+2 is free; 1.0.0+3 is taken (and would be skipped).
    expect((await put(store, 5)).entry.version).toBe('1.0.0+2');
    expect((await put(store, 6)).entry.version).toBe('1.0.0+4');
    const listed = await listVersions(store, 'app');
    expect(listed?.versions.map((v) => v.version)).toEqual([
      '0.0.0',
      '1.0.0',
      '1.0.0+1',
      '1.0.0+2',
      '1.0.0+3',
      '1.0.0+4',
    ]);
    expect(listed?.current).toBe('1.0.0+4');
  });

  it('rolls back in one swap, keeping the outgoing version; removal tombstones, refusing the current one', async () => {
    const store = memoryStore();
    const v1 = await put(store, 1, '1.0.0');
    const v2 = await put(store, 2, '2.0.0');
    expect(await rollback(store, 'app', '1.0.0')).toEqual({ previous: '2.0.0' });
    expect((await current(store)).variants[0]!.blob).toBe(v1.variant.blob);
    expect(await code(removeVersion(store, 'app', '1.0.0'))).toBe('version_current');
    expect(await code(rollback(store, 'app', '9.9.9'))).toBe('no_such_version');
    expect(await code(rollback(store, 'other', '1.0.0'))).toBe('no_such_module');
    const removed = await removeVersion(store, 'app', '2.0.0');
    expect(removed.removed).toMatch(/^\d{4}-/);
    // Removing again answers the same tombstone; a rollback to it is refused.
    expect(await removeVersion(store, 'app', '2.0.0')).toEqual(removed);
    expect(await code(rollback(store, 'app', '2.0.0'))).toBe('version_removed');
    const catalog = createCatalog(store, 0);
    expect(await catalog.version('app', '2.0.0')).toEqual({ version: '2.0.0', removed: removed.removed });
    // A removed version is never published again.
    expect(await code(put(store, 2, '2.0.0'))).toBe('version_exists');
    const listed = await listVersions(store, 'app');
    expect(listed?.versions).toEqual([
      { version: '1.0.0', published: expect.any(String) },
      { version: '2.0.0', published: null, removed: removed.removed },
    ]);
    expect(v2.variant.blob).not.toBe(v1.variant.blob);
  });

  it('a cached pinned record sees a removal within the freshness rule', async () => {
    const store = memoryStore();
    await put(store, 1, '1.0.0');
    await put(store, 2, '2.0.0');
    await put(store, 3, '3.0.0');
    const catalog = createCatalog(store, 50);
    const before = await catalog.version('app', '2.0.0');
    expect(before && isRemoved(before)).toBe(false);
    await removeVersion(store, 'app', '2.0.0');
    // Fresh for ttlMs while the change token stays; the removal changed it, so it is read again.
    await vi.waitFor(
      async () => {
        const after = await catalog.version('app', '2.0.0');
        expect(after && isRemoved(after)).toBe(true);
      },
      { timeout: 1000, interval: 20 },
    );
  });

  it('a rollback racing a removal of its target: the store ends consistent whatever wins', async () => {
    for (let round = 0; round < 20; round++) {
      const store = memoryStore();
      await put(store, 1, '1.0.0');
      await put(store, 2, '2.0.0');
      await put(store, 3, '3.0.0');
      const [back, gone] = await Promise.all([
        code(rollback(store, 'app', '2.0.0')),
        code(removeVersion(store, 'app', '2.0.0')),
      ]);
      const now = (await current(store)).version;
      const record = parseVersionRecord((await store.get(versionKey('app', '2.0.0')))!, 'app', '2.0.0');
      // Never both; and 2.0.0 current means its snapshot is kept, removed means it is not current.
      expect([back, gone]).not.toEqual(['ok', 'ok']);
      if (now === '2.0.0') expect(isRemoved(record)).toBe(false);
      if (isRemoved(record)) expect(now).toBe('3.0.0');
    }
  });

  it('concurrent unversioned publishes from three writers each get their own version, every one kept', async () => {
    const inner = memoryStore();
    // Three store objects over one store: three writers racing, as three processes would.
    const writers = [0, 1, 2].map(() => ({ ...inner }) as Store);
    const made = await Promise.all(
      writers.map(async (store, w) => {
        const mine: { version: string; blob: string }[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await publish(
            store,
            { module: 'app', variant: `w${w}`, bytes: bytes(100 + w * 10 + i) },
            {},
          );
          mine.push({ version: r.entry.version, blob: r.variant.blob });
        }
        return mine.map((m) => ({ ...m, variant: `w${w}` }));
      }),
    );
    const all = made.flat();
    expect(new Set(all.map((m) => m.version)).size).toBe(15);
    const catalog = createCatalog(inner, 0);
    for (const m of all) {
      const pinned = await catalog.version('app', m.version);
      expect(pinned && !isRemoved(pinned) && pinned.variants.find((v) => v.name === m.variant)?.blob).toBe(
        m.blob,
      );
    }
    expect((await listVersions(inner, 'app'))?.versions).toHaveLength(15);
  });

  it('names the version rule when a publish gives a bad version', async () => {
    await expect(put(memoryStore(), 1, 'a b')).rejects.toThrow('version: must be 1 to 64 of [0-9A-Za-z.+-]');
  });
});
