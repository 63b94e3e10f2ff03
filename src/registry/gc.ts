/**
 * Garbage collection (docs/contract.md, "Garbage collection"): under the gc lock (locks.ts, so no
 * publish commits meanwhile), every record under `modules/` and `versions/` is a root; what they
 * refer to (blobs with their copies and records, bundle records and through them their files) is
 * kept, and every other blob, bundle record and uploaded file is marked. Grace is measured by gc
 * itself: `gc/marks.json` records when gc first found each object unreferenced, and an object is
 * deleted only by a run that finds it still unreferenced at least `graceMs` after that (0: at
 * once). Pure over the Store interface.
 */
import { addressOfHex } from '../contract/address.js';
import { BUNDLE_ID } from './bundle.js';
import {
  collectReferences,
  GcError,
  isReferenced,
  noReferences,
  parseRecord,
  type References,
} from './gc-refs.js';
import { type Held, type LockOptions, takeGcLock } from './locks.js';
import { blobKey, blobMetaKey, bundleKey, fileKey, ROOT_PREFIXES, SWEPT_PREFIXES } from './records.js';
import type { Store } from './store.js';

export { GcError } from './gc-refs.js';

export const MARKS_KEY = 'gc/marks.json';
/** The grace `weft gc` gives an unreferenced object by default: an upload has an hour to be committed. */
export const DEFAULT_GRACE_MS = 60 * 60 * 1000;

export interface GcOptions {
  /** How long an object must stay unreferenced, as gc saw it, before it is deleted (default 1 h). */
  graceMs?: number;
  /** Reports what would be deleted and marked, and changes nothing. */
  dryRun?: boolean;
  /** How long to retry while a publish or another gc holds the store (default 10 s). */
  waitMs?: number;
  /** The lock's timing (tests). */
  lock?: LockOptions;
  now?: () => number;
}

export interface Tally {
  objects: number;
  bytes: number;
}

/** What a run found and did (`deleted`: what it deleted, or on a dry run what it would delete). */
export interface GcReport {
  dryRun: boolean;
  graceMs: number;
  roots: number;
  /** Objects records refer to (bytes as the records state them). */
  kept: Tally;
  /** Unreferenced objects still within their grace: a later run deletes them if still unreferenced. */
  marked: Tally;
  deleted: Tally;
  tookMs: number;
}

type Marks = Record<string, number>;

/** Runs one collection; a GcError when the store is busy past `waitMs` or a root is unreadable. */
export async function collectGarbage(store: Store, options: GcOptions = {}): Promise<GcReport> {
  const now = options.now ?? Date.now;
  const started = now();
  const lock = await acquire(store, options.waitMs ?? 10_000, options.lock);
  try {
    return { ...(await sweep(store, lock, options, now)), tookMs: now() - started };
  } finally {
    await lock.release().catch(() => {});
  }
}

async function acquire(store: Store, waitMs: number, lock?: LockOptions): Promise<Held> {
  const deadline = Date.now() + waitMs;
  // Short pauses: publishes hold their leases for a commit's time, and gc takes the first gap.
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    const got = await takeGcLock(store, lock);
    if ('release' in got) return got;
    if (Date.now() >= deadline)
      throw new GcError(
        'gc_busy',
        got.busy === 'gc'
          ? 'another garbage collection is running: try again later'
          : `${got.leases} publish(es) in flight: try again when they are done`,
      );
    await new Promise((r) => setTimeout(r, pause * (0.5 + Math.random())));
  }
}

async function sweep(store: Store, lock: Held, options: GcOptions, now: () => number) {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const dryRun = options.dryRun ?? false;
  const { refs, roots } = await mark(store);
  const previous = await readMarks(store);
  const kept: Tally = { objects: 0, bytes: 0 };
  const marked: Tally = { objects: 0, bytes: 0 };
  const deleted: Tally = { objects: 0, bytes: 0 };
  const marks: Marks = {};
  const at = now();
  for (const prefix of SWEPT_PREFIXES) {
    for (const key of await store.list(prefix)) {
      if (isReferenced(key, refs)) {
        kept.objects++;
        kept.bytes += refs.sizes.get(key) ?? 0;
        continue;
      }
      const bytes = (await store.get(key))?.length;
      if (bytes === undefined) continue;
      const first = previous[key] ?? at;
      if (at - first < graceMs) {
        marks[key] = first;
        marked.objects++;
        marked.bytes += bytes;
        continue;
      }
      // A gc taken for dead (its heartbeat stalled) must not go on deleting under a publish.
      if (!dryRun && !(await lock.confirm()))
        throw new GcError('gc_busy', 'the gc lock was taken over mid-run: stopped, try again');
      if (!dryRun) await store.delete(key);
      deleted.objects++;
      deleted.bytes += bytes;
    }
  }
  if (!dryRun) await store.put(MARKS_KEY, new TextEncoder().encode(JSON.stringify({ schema: 1, marks })));
  return { dryRun, graceMs, roots, kept, marked, deleted };
}

/** Every root read, and what the roots refer to, bundles followed to their files. */
async function mark(
  store: Store,
): Promise<{ refs: References & { sizes: Map<string, number> }; roots: number }> {
  const refs = { ...noReferences(), sizes: new Map<string, number>() };
  let roots = 0;
  for (const prefix of ROOT_PREFIXES) {
    for (const key of await store.list(prefix)) {
      const bytes = await store.get(key);
      if (bytes === null) continue;
      collectReferences(parseRecord(key, bytes), refs);
      roots++;
    }
  }
  for (const id of refs.bundles) {
    if (!BUNDLE_ID.test(id)) continue;
    const key = bundleKey(id);
    const bytes = await store.get(key);
    // A 32-hex string that names no bundle (the conservative walk finds any) keeps nothing more.
    if (bytes === null) continue;
    const record = parseRecord(key, bytes);
    refs.sizes.set(key, bytes.length);
    collectReferences(record, refs);
    for (const f of Array.isArray(record.files) ? record.files : [])
      if (typeof f?.sha256 === 'string' && typeof f.size === 'number')
        refs.sizes.set(fileKey(f.sha256), f.size);
  }
  for (const hex of refs.hexes) await blobSizes(store, hex, refs.sizes);
  return { refs, roots };
}

/** A referenced blob's sizes, from its record (`{size, encodings}`), for the report. */
async function blobSizes(store: Store, hex: string, sizes: Map<string, number>): Promise<void> {
  const key = blobMetaKey(addressOfHex(hex));
  const bytes = await store.get(key);
  if (bytes === null) return;
  sizes.set(key, bytes.length);
  try {
    const meta = JSON.parse(new TextDecoder().decode(bytes)) as {
      size?: number;
      encodings?: Record<string, { size?: number }>;
    };
    if (typeof meta.size === 'number') sizes.set(blobKey(addressOfHex(hex)), meta.size);
    for (const [name, e] of Object.entries(meta.encodings ?? {}))
      if (typeof e?.size === 'number')
        sizes.set(blobKey(addressOfHex(hex), name === 'br' ? 'br' : 'gzip'), e.size);
  } catch {
    // A damaged blob record costs the report its sizes, nothing else: the blob is kept regardless.
  }
}

async function readMarks(store: Store): Promise<Marks> {
  const bytes = await store.get(MARKS_KEY);
  if (bytes === null) return {};
  try {
    const marks = (JSON.parse(new TextDecoder().decode(bytes)) as { marks?: unknown }).marks;
    if (typeof marks !== 'object' || marks === null) return {};
    return Object.fromEntries(Object.entries(marks).filter(([, v]) => typeof v === 'number')) as Marks;
  } catch {
    // Lost marks only restart the grace: nothing is deleted sooner.
    return {};
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A grace as people write it (`90s`, `30m`, `1h`, `7d`, `0`; a bare number is seconds) in ms; null when it is none. */
export function parseGrace(text: string): number | null {
  const m = /^(\d{1,9})(ms|s|m|h|d)?$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2] ?? 's']! : null;
}
