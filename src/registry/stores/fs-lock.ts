import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { StoreError } from '../store.js';

/** A lock that has gone this long without its holder's heartbeat was left by a crashed writer. */
export const STALE_LOCK_MS = 10_000;

export interface Lock {
  /** Whether the lock file is still this holder's (false once a waiter took it for crashed). */
  held(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Takes a lock file (exclusive create), waiting for its holder. While held, the holder touches it
 * every quarter of `staleMs`, so a holder that is alive but slow (a stalled disk, a long write) is
 * never taken for crashed; a lock whose heartbeat stopped for `staleMs` was left by a crashed
 * writer and is taken over by renaming it aside (atomic, so of waiters that judged the same lock
 * stale only one moves it), and a live lock moved by mistake is put back. A holder checks the lock
 * is still its own before it commits (the fs store's putIf).
 */
export async function lockFile(path: string, staleMs = STALE_LOCK_MS): Promise<Lock> {
  const token = randomBytes(8).toString('hex');
  // A live holder releases within its own work's time; the wait covers one takeover besides.
  const deadline = Date.now() + staleMs + 5_000;
  while (Date.now() < deadline) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${process.pid} ${token}`);
      } finally {
        await handle.close();
      }
      return heldLock(path, token, staleMs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > staleMs) await takeOver(path, staleMs);
    else await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
  }
  throw new StoreError('fs store: the lock stayed busy');
}

function heldLock(path: string, token: string, staleMs: number): Lock {
  const mine = async () => (await readFile(path, 'utf8').catch(() => '')).endsWith(token);
  const beat = setInterval(() => {
    const now = new Date();
    mine()
      .then((yes) => (yes ? utimes(path, now, now) : undefined))
      .catch(() => {});
  }, staleMs / 4);
  // The heartbeat never keeps a process alive that has nothing else to do.
  beat.unref?.();
  return {
    held: mine,
    release: async () => {
      clearInterval(beat);
      if (await mine()) await rm(path, { force: true });
    },
  };
}

async function takeOver(path: string, staleMs: number): Promise<void> {
  const aside = `${path}.${randomBytes(6).toString('hex')}.stale`;
  const moved = await rename(path, aside).then(
    () => true,
    () => false,
  );
  if (!moved) return;
  const stillStale = await stat(aside).then(
    (s) => Date.now() - s.mtimeMs > staleMs,
    () => true,
  );
  // A live lock taken by mistake (its heartbeat came between the look and the move) goes back
  // where its holder will look for it.
  if (!stillStale) await link(aside, path).catch(() => {});
  await rm(aside, { force: true });
}
