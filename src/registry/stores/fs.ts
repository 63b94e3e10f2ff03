import { createHash, randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { checkKey, guard, type Store, StoreError } from '../store.js';

export const DRIVER_NAME = 'fs';

export interface FsStoreOptions {
  /** The folder that holds the manifest and the blobs; created on first write. */
  dir: string;
}

/** A lock older than this was left by a writer that crashed (a compare-and-swap takes milliseconds). */
const STALE_LOCK_MS = 10_000;

const versionOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * A filesystem store: one file per key under `dir`. Writes go to a temporary file beside the
 * target and are renamed over it, so a crash mid-write leaves the previous value whole. A
 * compare-and-swap holds `<key>.lock` (created exclusively, so one writer at a time across
 * processes) while it compares the current value's hash and renames the new value in; a lock left
 * by a crashed writer is taken over once it is older than 10 s.
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
    get: (key) =>
      guard(DRIVER_NAME, 'get', async () => {
        const path = pathOf(key);
        try {
          return new Uint8Array(await readFile(path));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
          throw err;
        }
      }),
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
        const held = await lock(`${path}.lock`);
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
    return new Uint8Array(await readFile(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

interface Lock {
  /** Whether the lock file is still this holder's (false once a waiter took it for crashed). */
  held(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Takes the lock file (exclusive create), waiting for its holder. A lock older than
 * STALE_LOCK_MS was left by a crashed writer: it is taken over by renaming it aside (atomic, so of
 * waiters that judged the same lock stale only one moves it), and a live lock moved by mistake is
 * put back. A holder checks the lock is still its own before it commits (see putIf).
 */
async function lock(path: string): Promise<Lock> {
  const token = randomBytes(8).toString('hex');
  const deadline = Date.now() + STALE_LOCK_MS + 5_000;
  while (Date.now() < deadline) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${process.pid} ${token}`);
      } finally {
        await handle.close();
      }
      const mine = async () => (await readFile(path, 'utf8').catch(() => '')).endsWith(token);
      return {
        held: mine,
        release: async () => {
          if (await mine()) await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > STALE_LOCK_MS) {
      const aside = `${path}.${randomBytes(6).toString('hex')}.stale`;
      const moved = await rename(path, aside).then(
        () => true,
        () => false,
      );
      if (moved) {
        const stillStale = await stat(aside).then(
          (s) => Date.now() - s.mtimeMs > STALE_LOCK_MS,
          () => true,
        );
        // A live lock taken by mistake goes back where its holder will look for it.
        if (!stillStale) await link(aside, path).catch(() => {});
        await rm(aside, { force: true });
      }
    } else {
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    }
  }
  throw new StoreError('fs store: the lock stayed busy');
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
