import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { checkKey, guard, type Store, StoreError } from '../store.js';

export const DRIVER_NAME = 'fs';

export interface FsStoreOptions {
  /** The folder that holds the manifest and the blobs; created on first write. */
  dir: string;
}

/**
 * A filesystem store: one file per key under `dir`. Writes go to a temporary file beside the
 * target and are renamed over it, so a crash mid-write leaves the previous value whole.
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
    list: (prefix = '') =>
      guard(DRIVER_NAME, 'list', async () => {
        let entries: Dirent[];
        try {
          entries = await readdir(root, { recursive: true, withFileTypes: true });
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
          .filter((key) => !key.endsWith('.tmp') && isKey(key) && key.startsWith(prefix))
          .sort();
      }),
  };
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
