/**
 * The catalog: a reload never makes a request wait, parses only when the manifest's bytes changed,
 * and keeps serving the last valid manifest when a reload finds an invalid one. The clock is
 * frozen and moved by the tests (`Date` only), so nothing here waits on real time.
 */
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { createCatalog } from './catalog.js';
import { emptyManifest, MANIFEST_KEY, ManifestError, serializeManifest } from './manifest.js';
import type { Store } from './store.js';
import { memoryStore } from './stores/memory.js';

const manifestWith = (version: string) => {
  const m = emptyManifest();
  m.modules.demo = {
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
  };
  return serializeManifest(m);
};

/** A memory store whose reads can be held at a gate, counting them. */
function gated() {
  const inner = memoryStore({ initial: { [MANIFEST_KEY]: manifestWith('1.0.0') } });
  let open: () => void = () => {};
  let gate: Promise<void> | undefined;
  const state = { reads: 0 };
  const store: Store = {
    ...inner,
    get: async (key) => {
      state.reads++;
      if (gate) await gate;
      return inner.get(key);
    },
  };
  return {
    store,
    state,
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
  it('answers the cached manifest at once while a reload waits on the store, then the new one', async () => {
    const s = gated();
    const catalog = createCatalog(s.store, 1000);
    expect((await catalog.manifest()).modules.demo?.version).toBe('1.0.0');
    await s.store.put(MANIFEST_KEY, manifestWith('2.0.0'));
    vi.setSystemTime(Date.now() + 1500);
    s.hold();
    // Stale: the reload is held at the store, and the answer does not wait for it.
    expect((await catalog.manifest()).modules.demo?.version).toBe('1.0.0');
    s.release();
    await vi.waitFor(async () => expect((await catalog.manifest()).modules.demo?.version).toBe('2.0.0'));
  });

  it('re-parses nothing when the bytes did not change: the same manifest object is answered', async () => {
    const s = gated();
    const catalog = createCatalog(s.store, 1000);
    const first = await catalog.manifest();
    vi.setSystemTime(Date.now() + 1500);
    await catalog.manifest();
    await vi.waitFor(() => expect(s.state.reads).toBe(2));
    // Give the reload its turn to finish; the answer is still the first object.
    await new Promise((r) => setImmediate(r));
    expect(await catalog.manifest()).toBe(first);
  });

  it('keeps serving the last valid manifest when a reload finds an invalid one, and says so in the log', async () => {
    const s = gated();
    const catalog = createCatalog(s.store, 1000);
    await catalog.manifest();
    await s.store.put(MANIFEST_KEY, new TextEncoder().encode('{"schema":2,"modules":{"Bad Name":{}}}'));
    vi.setSystemTime(Date.now() + 1500);
    await catalog.manifest();
    await vi.waitFor(() =>
      expect(errors).toHaveBeenCalledWith(
        expect.stringMatching(/^weft: reloading the manifest failed: manifest: modules/),
      ),
    );
    expect((await catalog.manifest()).modules.demo?.version).toBe('1.0.0');
  });

  it('reads the store on every request when the ttl is 0, and refuses an invalid manifest (a ManifestError, the server answers 503)', async () => {
    const s = gated();
    const catalog = createCatalog(s.store, 0);
    await catalog.manifest();
    await catalog.manifest();
    expect(s.state.reads).toBe(2);
    await s.store.put(MANIFEST_KEY, new TextEncoder().encode('not json'));
    await expect(catalog.manifest()).rejects.toBeInstanceOf(ManifestError);
  });
});
