/**
 * The publish lease and the gc lock on the memory store: whichever side writes second sees the
 * other and backs off (shown for both orders, and over random interleavings of every store call);
 * a holder's heartbeat keeps it from being taken for dead however long it holds; a silent one is
 * taken over.
 */
import { describe, expect, it } from 'vitest';
import { GC_LOCK_KEY, type Held, LEASE_PREFIX, takeGcLock, takePublishLease } from './locks.js';
import type { Store } from './store.js';
import { memoryStore } from './stores/memory.js';

const STALE = 200;
const opts = { staleMs: STALE, waitMs: 5_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isHeld = (x: Held | { busy: string }): x is Held => 'release' in x;
const stamp = (at: number) => new TextEncoder().encode(JSON.stringify({ at, token: 'someone' }));

/** A memory store that waits a random 0-3 ms before every call, so two clients' calls interleave at random. */
function jittery(seed: number): Store {
  const inner = memoryStore();
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const later =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A) => {
      await sleep(rand() * 3);
      return f(...a);
    };
  return {
    driver: 'jittery',
    get: later(inner.get),
    put: later(inner.put),
    delete: later(inner.delete),
    list: later(inner.list),
    getVersioned: later(inner.getVersioned),
    putIf: later(inner.putIf),
  };
}

describe('publish lease and gc lock', () => {
  it('a gc that finds a live lease gives way (lease written first)', async () => {
    const store = memoryStore();
    const lease = await takePublishLease(store, opts);
    const gc = await takeGcLock(store, opts);
    expect(gc).toEqual({ busy: 'publish', leases: 1 });
    // It gave the lock back: nothing holds locks/gc.json.
    expect(await store.get(GC_LOCK_KEY)).toBeNull();
    await lease.release();
    expect(await store.list(LEASE_PREFIX)).toEqual([]);
    const again = await takeGcLock(store, opts);
    expect(isHeld(again)).toBe(true);
    await (again as Held).release();
  });

  it('a publisher that finds a live gc lock waits for it (gc lock written first)', async () => {
    const store = memoryStore();
    const gc = await takeGcLock(store, opts);
    if (!isHeld(gc)) throw new Error('gc should hold the lock');
    let leased = false;
    const publish = takePublishLease(store, opts).then((l) => {
      leased = true;
      return l;
    });
    await sleep(100);
    expect(leased).toBe(false);
    // Its lease is already written, so a second gc meanwhile would give way too.
    expect((await store.list(LEASE_PREFIX)).length).toBe(1);
    await gc.release();
    const lease = await publish;
    expect(leased).toBe(true);
    await lease.release();
  });

  it('never lets a gc and a publish hold at once, over 200 random interleavings of their store calls', async () => {
    let gcRan = 0;
    let gaveWay = 0;
    for (let trial = 0; trial < 200; trial++) {
      const store = jittery(trial + 1);
      let gcHolds = false;
      let publishHolds = false;
      const overlap: string[] = [];
      const gc = (async () => {
        const got = await takeGcLock(store, opts);
        if (!isHeld(got)) {
          gaveWay++;
          return;
        }
        gcHolds = true;
        if (publishHolds) overlap.push(`trial ${trial}: gc took the lock while a publish held its lease`);
        gcRan++;
        await sleep(2);
        gcHolds = false;
        await got.release();
      })();
      const publish = (async () => {
        const lease = await takePublishLease(store, opts);
        publishHolds = true;
        if (gcHolds) overlap.push(`trial ${trial}: a publish went on while gc held its lock`);
        await sleep(2);
        publishHolds = false;
        await lease.release();
      })();
      await Promise.all([gc, publish]);
      expect(overlap).toEqual([]);
    }
    // Both outcomes happened: the schedule reached each side's back-off.
    expect(gcRan).toBeGreaterThan(0);
    expect(gaveWay).toBeGreaterThan(0);
  });

  it('keeps a holder that holds far longer than the stale time, through its heartbeat', async () => {
    const store = memoryStore();
    const gc = await takeGcLock(store, opts);
    if (!isHeld(gc)) throw new Error('gc should hold the lock');
    await sleep(STALE * 3);
    expect(gc.held()).toBe(true);
    expect(await takeGcLock(store, opts)).toEqual({ busy: 'gc' });
    const lease = await takePublishLease(store, { ...opts, waitMs: 100 }).catch((e: Error) => e);
    expect(String(lease)).toMatch(/garbage collection is running/);
    // The publisher that gave up took its lease away.
    expect(await store.list(LEASE_PREFIX)).toEqual([]);
    await gc.release();
  });

  it('takes over a gc lock and removes a lease whose heartbeat stopped', async () => {
    const store = memoryStore();
    await store.put(GC_LOCK_KEY, stamp(Date.now() - STALE * 2));
    await store.put(`${LEASE_PREFIX}dead.json`, stamp(Date.now() - STALE * 2));
    // A publisher does not wait for a dead gc.
    const lease = await takePublishLease(store, { ...opts, waitMs: 0 });
    await lease.release();
    const gc = await takeGcLock(store, opts);
    expect(isHeld(gc)).toBe(true);
    expect(await store.list(LEASE_PREFIX)).toEqual([]);
    await (gc as Held).release();
  });

  it('tells a holder taken over for dead that it no longer holds', async () => {
    const store = memoryStore();
    const gc = await takeGcLock(store, opts);
    if (!isHeld(gc)) throw new Error('gc should hold the lock');
    // Another gc judged it dead and wrote its own stamp.
    await store.put(GC_LOCK_KEY, stamp(Date.now()));
    await sleep(STALE);
    expect(gc.held()).toBe(false);
    await gc.release();
    // Releasing did not remove the other's lock.
    expect(await store.get(GC_LOCK_KEY)).not.toBeNull();
  });
});
