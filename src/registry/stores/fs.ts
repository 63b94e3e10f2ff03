import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { checkKey, guard, type Store, StoreError } from '../store.js';
import { lockFile, STALE_LOCK_MS } from './fs-lock.js';

export const DRIVER_NAME = 'fs';

export interface FsStoreOptions {
  /** The folder that holds the manifest and the blobs; created on first write. */
  dir: string;
  /** How long a lock goes without its holder's heartbeat before it is taken for a crashed writer's (default 10 s). */
  staleLockMs?: number;
}

const versionOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * A filesystem store: one file per key under `dir`. Writes go to a temporary file beside the
 * target and are renamed over it, so a crash mid-write leaves the previous value whole. A
 * compare-and-swap holds `<key>.lock` (created exclusively, so one writer at a time across
 * processes) while it compares the current value's hash and renames the new value in; its holder
 * keeps it fresh while it lives, and a lock left by a crashed writer is taken over once it has gone
 * 10 s without that heartbeat.
 */
export function fsStore(options: FsStoreOptions): Store {
  if (!options?.dir) throw new StoreError('fs store: option "dir" is required');
  const root = resolve(options.dir);
  const pathOf = (key: string): string => {
    const path = resolve(root, checkKey(key));
    // checkKey already refuses traversal; this is the belt to its braces.
    if (!path.startsWith(root + sep)) throw new StoreError('invalid store key');
    return path;
  };

  return {
    driver: DRIVER_NAME,
    get: (key) => guard(DRIVER_NAME, 'get', () => readOrNull(pathOf(key))),
    put: (key, value) =>
      guard(DRIVER_NAME, 'put', async () => {
        const path = pathOf(key);
        await mkdir(dirname(path), { recursive: true });
        const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
        try {
          await writeFile(temp, value, { flush: true });
          await rename(temp, path);
        } catch (err) {
          await rm(temp, { force: true });
          throw err;
        }
      }),
    delete: (key) => guard(DRIVER_NAME, 'delete', () => rm(pathOf(key), { force: true })),
    getVersioned: (key) =>
      guard(DRIVER_NAME, 'get', async () => {
        const value = await readOrNull(pathOf(key));
        return value ? { value, version: versionOf(value) } : null;
      }),
    putIf: (key, value, version) =>
      guard(DRIVER_NAME, 'put', async () => {
        const path = pathOf(key);
        await mkdir(dirname(path), { recursive: true });
        const held = await lockFile(`${path}.lock`, options.staleLockMs ?? STALE_LOCK_MS);
        try {
          const current = await readOrNull(path);
          if ((current ? versionOf(current) : null) !== version) return false;
          const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
          try {
            await writeFile(temp, value, { flush: true });
            // Taken over meanwhile (judged crashed): the new holder decides, this write does not land.
            if (!(await held.held())) {
              await rm(temp, { force: true });
              return false;
            }
            await rename(temp, path);
          } catch (err) {
            await rm(temp, { force: true });
            throw err;
          }
          return true;
        } finally {
          await held.release();
        }
      }),
    list: (prefix = '') =>
      guard(DRIVER_NAME, 'list', async () => {
        let entries: Dirent[];
        // Only the folder the prefix names is walked (`modules/` alone, not every blob).
        const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
        try {
          entries = await readdir(folder ? pathOf(folder) : root, { recursive: true, withFileTypes: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
          throw err;
        }
        return entries
          .filter((entry) => entry.isFile())
          .map((entry) =>
            relative(root, join(entry.parentPath ?? entry.path, entry.name))
              .split(sep)
              .join('/'),
          )
          .filter((key) => !/\.(tmp|lock|stale)$/.test(key) && isKey(key) && key.startsWith(prefix))
          .sort();
      }),
  };
}

async function readOrNull(path: string): Promise<Uint8Array | null> {
  try {
    const bytes = await readFile(path);
    // A plain view of the Buffer's own memory: `new Uint8Array(buffer)` copies element by element
    // (about 150 ms for a 30 MB blob in Node 20, most of a cold blob read).
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function isKey(key: string): boolean {
  try {
    checkKey(key);
    return true;
  } catch {
    return false;
  }
}

export default fsStore;
