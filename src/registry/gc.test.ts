/**
 * Garbage collection on the memory store, through the real publish and upload-commit paths: what
 * no root refers to goes (at once with grace 0, after the grace gc measures itself otherwise),
 * what any root refers to stays and verifies, a dry run changes nothing, an unreadable root stops
 * gc before it deletes anything, and a publish in flight keeps gc out.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { custom, wasm } from '../inspect/wasm-builder.js';
import { commitUpload } from './commit.js';
import { gzipEncoder } from './copies.js';
import { collectGarbage, MARKS_KEY } from './gc.js';
import { takePublishLease } from './locks.js';
import { publish } from './publish.js';
import { moduleKey } from './records.js';
import type { Store } from './store.js';
import { memoryStore } from './stores/memory.js';
import { storeUpload } from './upload.js';
import { removeVersion } from './versions.js';

const enc = new TextEncoder();
const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** A valid wasm of its own bytes: `text` is padded so gzip makes a copy smaller than it. */
const build = (text: string) => wasm(custom('weft.gc', [...enc.encode(text.padEnd(400, '.'))]));
const encoders = { gzip: gzipEncoder };

async function put(store: Store, module: string, bytes: Uint8Array): Promise<string> {
  await publish(store, { module, variant: 'single', bytes }, encoders);
  return hex(bytes);
}

/** Publishes `one` then `two` to `app`, and removes the first version: `one` is referenced no more. */
async function replaced(store: Store): Promise<string> {
  const old = await put(store, 'app', build('one'));
  await put(store, 'app', build('two'));
  await removeVersion(store, 'app', '0.0.0');
  return old;
}

/** Every key under blobs/ named by `hex`. */
const blobKeys = async (store: Store, h: string) => (await store.list(`blobs/sha256-${h}`)).sort();

describe('collectGarbage', () => {
  it('with grace 0 deletes at once what no record refers to and keeps the rest whole', async () => {
    const store = memoryStore();
    const old = await put(store, 'app', build('one'));
    const current = await put(store, 'app', build('two'));
    const other = await put(store, 'lib', build('three'));
    // Every version keeps its builds until it is removed.
    expect((await collectGarbage(store, { graceMs: 0, dryRun: true })).deleted.objects).toBe(0);
    await removeVersion(store, 'app', '0.0.0');
    expect(await blobKeys(store, old)).toHaveLength(3); // .json, .wasm, .wasm.gz
    const report = await collectGarbage(store, { graceMs: 0 });
    expect(report.deleted.objects).toBe(3);
    expect(report.deleted.bytes).toBeGreaterThan(400);
    expect(report.marked.objects).toBe(0);
    expect(report.kept.objects).toBe(6);
    // app's record and its two versions (one a tombstone), lib's record and its version.
    expect(report.roots).toBe(5);
    expect(await blobKeys(store, old)).toEqual([]);
    for (const h of [current, other]) {
      const bytes = await store.get(`blobs/sha256-${h}.wasm`);
      expect(bytes && hex(bytes)).toBe(h);
      expect(await blobKeys(store, h)).toHaveLength(3);
    }
    // Records, the change token and the marks are never swept.
    expect(await store.get(moduleKey('app'))).not.toBeNull();
    expect(await store.get('changes')).not.toBeNull();
  });

  it('deletes only once an object stayed unreferenced for the grace, as gc measured it', async () => {
    const store = memoryStore();
    let now = 1_000_000;
    const clock = { now: () => now, graceMs: 60_000 };
    const old = await replaced(store);
    const upload = enc.encode('an upload no commit named');
    await storeUpload(store, `sha256-${hex(upload)}`, upload);

    const first = await collectGarbage(store, clock);
    expect(first.marked.objects).toBe(4);
    expect(first.deleted.objects).toBe(0);
    const marks = JSON.parse(new TextDecoder().decode((await store.get(MARKS_KEY))!)).marks;
    expect(Object.values(marks)).toEqual([now, now, now, now]);

    now += 59_999;
    expect((await collectGarbage(store, clock)).deleted.objects).toBe(0);
    // Referenced again meanwhile (a rollback, a republish of the same bytes): its mark is dropped.
    await put(store, 'app', build('one'));
    now += 1;
    const third = await collectGarbage(store, clock);
    expect(third.deleted.objects).toBe(1);
    expect(await store.get(`files/sha256-${hex(upload)}`)).toBeNull();
    expect(await blobKeys(store, old)).toHaveLength(3);
  });

  it('changes nothing on a dry run, and says what it would delete', async () => {
    const store = memoryStore();
    const old = await replaced(store);
    const before = await store.list();
    const report = await collectGarbage(store, { graceMs: 0, dryRun: true });
    expect(report).toMatchObject({ dryRun: true, deleted: { objects: 3 } });
    expect(await store.list()).toEqual(before);
    expect(await store.get(MARKS_KEY)).toBeNull();
    expect(await blobKeys(store, old)).toHaveLength(3);
  });

  it("keeps what a versions/ snapshot refers to, a bundle's files, and keys of no known shape", async () => {
    const store = memoryStore();
    const old = build('one');
    await put(store, 'app', old);
    const snapshot = (await store.get(moduleKey('app')))!;
    await store.put('versions/app/v0.0.0.json', snapshot);
    await store.put(
      'versions/app/v0.0.1.json',
      enc.encode('{"schema":3,"name":"app","version":"0.0.1","removed":"x"}'),
    );
    await put(store, 'app', build('two'));

    const glue = enc.encode('fetch("app.wasm")');
    const data = enc.encode('data of the build');
    const stray = enc.encode('a stray upload');
    for (const b of [old, glue, data, stray]) await storeUpload(store, `sha256-${hex(b)}`, b);
    const file = (path: string, b: Uint8Array, role?: 'wasm') => ({
      path,
      hash: `sha256-${hex(b)}`,
      size: b.length,
      ...(role ? { role } : {}),
    });
    await commitUpload(
      store,
      'bundled',
      {
        variants: [
          { name: 'web', files: [file('app.wasm', old, 'wasm'), file('app.js', glue), file('d.bin', data)] },
        ],
      },
      encoders,
    );
    await store.put('blobs/readme.txt', enc.encode('not gc-shaped'));

    await collectGarbage(store, { graceMs: 0 });
    expect(await blobKeys(store, hex(old))).toHaveLength(3);
    for (const b of [glue, data]) expect(await store.get(`files/sha256-${hex(b)}`)).not.toBeNull();
    expect(await store.get(`files/sha256-${hex(stray)}`)).toBeNull();
    expect((await store.list('bundles/')).length).toBe(1);
    expect(await store.get('blobs/readme.txt')).not.toBeNull();
  });

  it('stops before deleting anything when a root does not parse', async () => {
    const store = memoryStore();
    const old = await put(store, 'app', build('one'));
    await put(store, 'app', build('two'));
    await store.put('versions/app/v9.json', enc.encode('{"schema":3,'));
    await expect(collectGarbage(store, { graceMs: 0 })).rejects.toMatchObject({
      code: 'gc_root_invalid',
      message: expect.stringContaining('versions/app/v9.json'),
    });
    expect(await blobKeys(store, old)).toHaveLength(3);
    expect(await store.list('locks/')).toEqual([]);
  });

  it('gives way to a publish in flight: gc_busy, nothing deleted', async () => {
    const store = memoryStore();
    const old = await replaced(store);
    const lease = await takePublishLease(store);
    await expect(collectGarbage(store, { graceMs: 0, waitMs: 0 })).rejects.toMatchObject({ code: 'gc_busy' });
    expect(await blobKeys(store, old)).toHaveLength(3);
    await lease.release();
    expect((await collectGarbage(store, { graceMs: 0, waitMs: 0 })).deleted.objects).toBe(3);
  });
});
