/**
 * The catalog: a request reads only the record of the module it names; a reload never makes a
 * request wait, parses only when the record's bytes changed, and keeps serving the last valid
 * record when a reload finds an invalid one; a store of an earlier version is upgraded in place.
 * The clock is frozen and moved by the tests (`Date` only), so nothing here waits on real time.
 */
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { createCatalog, readModules } from './catalog.js';
import { CHANGES_KEY, LEGACY_MANIFEST_KEY, markChanged, moduleKey, serializeModule } from './records.js';
import { ManifestError, type ModuleEntry } from './schema.js';
import type { Store } from './store.js';
import { memoryStore } from './stores/memory.js';

const entryWith = (version: string): ModuleEntry => ({
  version,
  variants: [
    {
      name: 'single',
      model: 'single',
      requires: [],
      blob: `sha256-${'a'.repeat(64)}`,
      size: 1,
      polyfills: [],
    },
  ],
});
const recordWith = (version: string, name = 'demo') => serializeModule(name, entryWith(version));

/** A memory store whose reads can be held at a gate, counting them by key. */
function gated(initial: Record<string, Uint8Array> = { [moduleKey('demo')]: recordWith('1.0.0') }) {
  const inner = memoryStore({ initial });
  let open: () => void = () => {};
  let gate: Promise<void> | undefined;
  const reads: string[] = [];
  const store: Store = {
    ...inner,
    get: async (key) => {
      reads.push(key);
      if (gate) await gate;
      return inner.get(key);
    },
  };
  return {
    store,
    /** Reads of module records (the one-time check for a legacy manifest and the change token are not). */
    reads: () => reads.filter((k) => k !== LEGACY_MANIFEST_KEY && k !== CHANGES_KEY),
    tokenReads: () => reads.filter((k) => k === CHANGES_KEY).length,
    hold: () => {
      gate = new Promise((r) => {
        open = r;
      });
    },
    release: () => {
      gate = undefined;
      open();
    },
  };
}

let errors: MockInstance<typeof console.error>;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  errors = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  vi.useRealTimers();
  errors.mockRestore();
});

describe('the catalog', () => {
  it('reads only the record of the module a request names, however many the store holds', async () => {
    const initial = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [moduleKey(`m${i}`), recordWith('1.0.0', `m${i}`)]),
    );
    const s = gated(initial);
    const catalog = createCatalog(s.store, 1000);
    expect((await catalog.module('m123'))?.version).toBe('1.0.0');
    expect(await catalog.module('absent')).toBeNull();
    expect(s.reads()).toEqual([moduleKey('m123'), moduleKey('absent')]);
    // Cached: no more reads within the ttl, a miss included.
    await catalog.module('m123');
    await catalog.module('absent');
    expect(s.reads()).toHaveLength(2);
  });

  it('answers the cached record at once while a reload waits on the store, then the new one', async () => {
    const s = gated();
    const catalog = createCatalog(s.store, 1000);
    expect((await catalog.module('demo'))?.version).toBe('1.0.0');
    await s.store.put(moduleKey('demo'), recordWith('2.0.0'));
    await markChanged(s.store);
    vi.setSystemTime(Date.now() + 1500);
    // The token is read beside a request; the next one sees it changed.
    await catalog.module('demo');
    await vi.waitFor(() => expect(s.tokenReads()).toBe(2));
    await new Promise((r) => setImmediate(r));
    s.hold();
    // Stale: the reload is held at the store, and the answer does not wait for it.
    expect((await catalog.module('demo'))?.version).toBe('1.0.0');
    s.release();
    await vi.waitFor(async () => expect((await catalog.module('demo'))?.version).toBe('2.0.0'));
  });

  it('re-parses nothing when the bytes did not change: the same record object is answered', async () => {
    const s = gated();
    const catalog = createCatalog(s.store, 1000);
    const first = await catalog.module('demo');
    await markChanged(s.store);
    vi.setSystemTime(Date.now() + 1500);
    await catalog.module('demo');
    await vi.waitFor(() => expect(s.tokenReads()).toBe(2));
    await new Promise((r) => setImmediate(r));
    await catalog.module('demo');
    await vi.waitFor(() => expect(s.reads()).toHaveLength(2));
    // Give the reload its turn to finish; the answer is still the first object.
    await new Promise((r) => setImmediate(r));
    expect(await catalog.module('demo')).toBe(first);
  });

  it('keeps serving the last valid record when a reload finds an invalid one, and says so in the log', async () => {
    const s = gated();
    const catalog = createCatalog(s.store, 1000);
    await catalog.module('demo');
    await s.store.put(moduleKey('demo'), new TextEncoder().encode('{"schema":3,"name":"demo","version":""}'));
    // Unannounced (no new change token): seen once the record is a minute old.
    vi.setSystemTime(Date.now() + 61_000);
    await catalog.module('demo');
    await vi.waitFor(() =>
      expect(errors).toHaveBeenCalledWith(
        expect.stringMatching(
          /^weft: reloading modules\/demo\.json failed: manifest: modules\.demo\.version/,
        ),
      ),
    );
    expect((await catalog.module('demo'))?.version).toBe('1.0.0');
  });

  it('reads no record again while the change token stays the same (one small read per ttl, whatever the number of records), up to a minute', async () => {
    const initial = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [moduleKey(`m${i}`), recordWith('1.0.0', `m${i}`)]),
    );
    const s = gated(initial);
    const catalog = createCatalog(s.store, 1000);
    for (let i = 0; i < 50; i++) await catalog.module(`m${i}`);
    expect(s.reads()).toHaveLength(50);
    await s.store.put(moduleKey('m7'), recordWith('7.0.0', 'm7'));
    for (const later of [1500, 3000, 30_000]) {
      vi.setSystemTime(Date.now() + later);
      for (let i = 0; i < 50; i++) await catalog.module(`m${i}`);
      await new Promise((r) => setImmediate(r));
    }
    expect(s.reads()).toHaveLength(50);
    expect((await catalog.module('m7'))?.version).toBe('1.0.0');
    // A publish announces itself: every record is read again (in the background), and the change is seen.
    await markChanged(s.store);
    vi.setSystemTime(Date.now() + 1500);
    await catalog.module('m7');
    await vi.waitFor(() => expect(s.tokenReads()).toBeGreaterThanOrEqual(4));
    await new Promise((r) => setImmediate(r));
    await catalog.module('m7');
    await vi.waitFor(async () => expect((await catalog.module('m7'))?.version).toBe('7.0.0'));
  });

  it('reads the store on every request when the ttl is 0, and refuses an invalid record (a ManifestError, the server answers 503)', async () => {
    const s = gated();
    const catalog = createCatalog(s.store, 0);
    await catalog.module('demo');
    await catalog.module('demo');
    expect(s.reads()).toHaveLength(2);
    await s.store.put(moduleKey('demo'), new TextEncoder().encode('not json'));
    await expect(catalog.module('demo')).rejects.toBeInstanceOf(ManifestError);
  });

  it("refuses a record stored under another module's name", async () => {
    const s = gated({ [moduleKey('demo')]: recordWith('1.0.0', 'other') });
    await expect(createCatalog(s.store, 0).module('demo')).rejects.toThrow(/modules\.demo\.name/);
  });

  it('lists every module, and refuses to list (a ManifestError) while one record is invalid, which that module alone answers', async () => {
    const s = gated({
      [moduleKey('a')]: recordWith('1.0.0', 'a'),
      [moduleKey('b')]: new TextEncoder().encode('{'),
      [moduleKey('c')]: recordWith('3.0.0', 'c'),
    });
    const catalog = createCatalog(s.store, 0);
    await expect(catalog.modules()).rejects.toThrow(/manifest: modules\.b: is not valid JSON/);
    await expect(catalog.module('b')).rejects.toBeInstanceOf(ManifestError);
    expect((await catalog.module('c'))?.version).toBe('3.0.0');
    await s.store.put(moduleKey('b'), recordWith('2.0.0', 'b'));
    expect(await catalog.modules()).toEqual([
      { name: 'a', version: '1.0.0', variants: ['single'] },
      { name: 'b', version: '2.0.0', variants: ['single'] },
      { name: 'c', version: '3.0.0', variants: ['single'] },
    ]);
  });

  it('upgrades a one-file manifest of schema 2 in place: every module gets its record, the old file is kept aside', async () => {
    const legacy = new TextEncoder().encode(
      JSON.stringify({ schema: 2, modules: { a: entryWith('1.0.0'), b: entryWith('2.0.0') } }),
    );
    const store = memoryStore({ initial: { [LEGACY_MANIFEST_KEY]: legacy } });
    const catalog = createCatalog(store, 0);
    expect((await catalog.module('b'))?.version).toBe('2.0.0');
    expect(await store.get(LEGACY_MANIFEST_KEY)).toBeNull();
    const aside = (await store.list('legacy/')).map((k) => store.get(k));
    expect(await Promise.all(aside)).toEqual([legacy]);
    expect((await readModules(store)).modules).toEqual({ a: entryWith('1.0.0'), b: entryWith('2.0.0') });
  });

  it('refuses to upgrade an invalid one-file manifest, and changes nothing', async () => {
    const bad = new TextEncoder().encode('{"schema":2,"modules":{"Bad Name":{}}}');
    const store = memoryStore({ initial: { [LEGACY_MANIFEST_KEY]: bad } });
    await expect(createCatalog(store, 0).module('a')).rejects.toThrow(/manifest: modules\.\(name\)/);
    expect(await store.list()).toEqual([LEGACY_MANIFEST_KEY]);
  });
});
