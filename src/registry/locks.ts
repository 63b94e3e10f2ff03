/**
 * How publishers and the garbage collector keep out of each other's way (docs/contract.md, "Garbage
 * collection"), pure over the Store interface. A publish in flight holds a lease,
 * `locks/publish/<random>.json`; a gc holds `locks/gc.json`; each is `{at, token}` kept fresh by a
 * heartbeat and judged abandoned once `at` is older than `staleMs`. A publisher writes its lease
 * THEN reads the gc lock; gc writes its lock THEN lists the leases: whichever writes second sees
 * the other (every driver is strongly consistent), so a publish never commits while gc sweeps.
 * The publisher waits for a running gc; gc gives way to any live lease.
 */
import { toHex } from '../contract/address.js';
import { type Store, StoreError } from './store.js';

export const GC_LOCK_KEY = 'locks/gc.json';
export const LEASE_PREFIX = 'locks/publish/';
/** A lock or lease whose heartbeat stopped this long ago was left by a holder that died. */
export const LOCK_STALE_MS = 30_000;

export interface LockOptions {
  /** When a silent holder is taken for dead (default 30 s); the heartbeat beats 4 times in it. */
  staleMs?: number;
  /** How long a publisher waits for a running gc before it gives up with a 503 (default 60 s). */
  waitMs?: number;
  /** The clock (tests move it). */
  now?: () => number;
}

/** A held lock or lease: kept fresh until released. */
export interface Held {
  readonly key: string;
  /** False once the heartbeat found the key gone or rewritten by another (taken for dead). */
  held(): boolean;
  /** Reads the key now: whether it is still this holder's (what gc asks before it deletes). */
  confirm(): Promise<boolean>;
  release(): Promise<void>;
}

interface Stamp {
  at: number;
  token: string;
}

const encode = (stamp: Stamp) => new TextEncoder().encode(JSON.stringify(stamp));
const randomToken = () => toHex(crypto.getRandomValues(new Uint8Array(12)));

/** A lock's stamp; a value that does not parse counts as stale (a torn write of a dead holder). */
function stampOf(value: Uint8Array): Stamp | null {
  try {
    const raw = JSON.parse(new TextDecoder().decode(value)) as Partial<Stamp>;
    return typeof raw.at === 'number' && typeof raw.token === 'string'
      ? { at: raw.at, token: raw.token }
      : null;
  } catch {
    return null;
  }
}

const live = (stamp: Stamp | null, now: number, staleMs: number) =>
  stamp !== null && now - stamp.at < staleMs;

/** Keeps `key` at this holder's token, fresh, by compare-and-swap from the version it wrote. */
function hold(store: Store, key: string, token: string, version: string, o: Required<LockOptions>): Held {
  let current: string | null = version;
  let beating: Promise<void> = Promise.resolve();
  const beat = async () => {
    if (current === null) return;
    const found = await store.getVersioned(key).catch(() => undefined);
    // A failed read is not a loss: the next beat tries again, well before the lock goes stale.
    if (found === undefined) return;
    if (!found || found.version !== current || stampOf(found.value)?.token !== token) {
      current = null;
      return;
    }
    const ok = await store.putIf(key, encode({ at: o.now(), token }), current).catch(() => undefined);
    if (ok === false) current = null;
    else if (ok) current = (await store.getVersioned(key).catch(() => null))?.version ?? current;
  };
  const timer = setInterval(() => {
    beating = beating.then(beat);
  }, o.staleMs / 4);
  // The heartbeat never keeps a process alive that has nothing else to do.
  (timer as { unref?: () => void }).unref?.();
  return {
    key,
    held: () => current !== null,
    confirm: async () => {
      if (current === null) return false;
      const found = await store.get(key);
      return found !== null && stampOf(found)?.token === token;
    },
    release: async () => {
      clearInterval(timer);
      await beating;
      if (current === null) return;
      const found = await store.getVersioned(key);
      if (found && stampOf(found.value)?.token === token) await store.delete(key);
      current = null;
    },
  };
}

const defaults = (o: LockOptions): Required<LockOptions> => ({
  staleMs: o.staleMs ?? LOCK_STALE_MS,
  waitMs: o.waitMs ?? 60_000,
  now: o.now ?? Date.now,
});

/** Writes a stamp under `key` by compare-and-swap; the version written, or null when another got there first. */
async function claim(store: Store, key: string, stamp: Stamp, over: string | null): Promise<string | null> {
  if (!(await store.putIf(key, encode(stamp), over))) return null;
  const written = await store.getVersioned(key);
  return written && stampOf(written.value)?.token === stamp.token ? written.version : null;
}

/**
 * Takes a publish lease, then waits while a live gc holds its lock (its lease already written, so
 * a gc starting meanwhile gives way). A StoreError (a 503) when gc runs longer than `waitMs`.
 */
export async function takePublishLease(store: Store, options: LockOptions = {}): Promise<Held> {
  const o = defaults(options);
  const token = randomToken();
  const key = `${LEASE_PREFIX}${token}.json`;
  const version = await claim(store, key, { at: o.now(), token }, null);
  if (version === null) throw new StoreError('could not write a publish lease');
  const lease = hold(store, key, token, version, o);
  try {
    await awaitNoGc(store, o);
  } catch (err) {
    await lease.release().catch(() => {});
    throw err;
  }
  return lease;
}

/** Returns once no live gc holds its lock; a StoreError after `waitMs`. */
async function awaitNoGc(store: Store, o: Required<LockOptions>): Promise<void> {
  const deadline = o.now() + o.waitMs;
  for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
    const gc = await store.get(GC_LOCK_KEY);
    if (!gc || !live(stampOf(gc), o.now(), o.staleMs)) return;
    if (o.now() >= deadline) throw new StoreError('garbage collection is running: try the publish again');
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** An upload lease's id: what `POST /v1/uploads/missing` answers and the client sends back. */
export const UPLOAD_LEASE = /^[0-9a-f]{24}$/;

/**
 * Opens or refreshes an upload lease: a publish lease held across the requests of one upload (the
 * question, each file, the commit) rather than by a heartbeat, so gc gives way while a client is
 * between an upload and its commit. Each request refreshes it; one that stops for `staleMs` is
 * abandoned (gc removes it). Waits for a running gc like any publisher. Returns the lease's id.
 */
export async function touchUploadLease(
  store: Store,
  id?: string,
  options: LockOptions = {},
): Promise<string> {
  const o = defaults(options);
  const token = id && UPLOAD_LEASE.test(id) ? id : randomToken();
  await store.put(`${LEASE_PREFIX}${token}.json`, encode({ at: o.now(), token }));
  await awaitNoGc(store, o);
  return token;
}

/** Ends an upload lease (its commit is done). */
export async function closeUploadLease(store: Store, id: string): Promise<void> {
  if (UPLOAD_LEASE.test(id)) await store.delete(`${LEASE_PREFIX}${id}.json`);
}

/** Why gc did not get to run: another gc holds the lock, or publishes are in flight. */
export type Busy = { busy: 'gc' } | { busy: 'publish'; leases: number };

/**
 * Takes the gc lock (over a stale one), then lists the publish leases: any live one and gc gives
 * the lock back and answers busy. Stale leases (their publisher died) are removed.
 */
export async function takeGcLock(store: Store, options: LockOptions = {}): Promise<Held | Busy> {
  const o = defaults(options);
  const token = randomToken();
  const existing = await store.getVersioned(GC_LOCK_KEY);
  if (existing && live(stampOf(existing.value), o.now(), o.staleMs)) return { busy: 'gc' };
  const version = await claim(store, GC_LOCK_KEY, { at: o.now(), token }, existing?.version ?? null);
  if (version === null) return { busy: 'gc' };
  const lock = hold(store, GC_LOCK_KEY, token, version, o);
  try {
    let leases = 0;
    for (const key of await store.list(LEASE_PREFIX)) {
      const lease = await store.get(key);
      if (lease === null) continue;
      if (live(stampOf(lease), o.now(), o.staleMs)) leases++;
      else await store.delete(key);
    }
    if (leases === 0) return lock;
    await lock.release();
    return { busy: 'publish', leases };
  } catch (err) {
    await lock.release().catch(() => {});
    throw err;
  }
}

/** Runs `work` under a publish lease, released when it settles. */
export async function withPublishLease<T>(
  store: Store,
  work: (lease: Held) => Promise<T>,
  options?: LockOptions,
): Promise<T> {
  const lease = await takePublishLease(store, options);
  try {
    return await work(lease);
  } finally {
    await lease.release().catch(() => {});
  }
}

/**
 * The store seen through a publish lease taken on its first write (and released by `release`):
 * what a publish checks before it writes (its input, inspected) costs no lease and leaves no trace
 * when it fails, and nothing is written before gc is kept out. Reads before the first write are
 * not covered: a publish that must keep what it read (an upload commit) takes its lease first.
 */
export function leasedOnWrite(
  store: Store,
  options?: LockOptions,
): { store: Store; release(): Promise<void> } {
  let taking: Promise<Held> | undefined;
  const take = () => {
    taking ??= takePublishLease(store, options);
    return taking;
  };
  const writing =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A) => {
      await take();
      return f(...a);
    };
  return {
    store: {
      driver: store.driver,
      get: (key) => store.get(key),
      getVersioned: (key) => store.getVersioned(key),
      list: (prefix) => store.list(prefix),
      put: writing(store.put.bind(store)),
      putIf: writing(store.putIf.bind(store)),
      delete: writing(store.delete.bind(store)),
    },
    release: async () => {
      const held = await taking?.catch(() => undefined);
      await held?.release().catch(() => {});
    },
  };
}
