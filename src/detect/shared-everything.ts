/**
 * Shared-everything threads, part by part (threading-models.md section 3). Each part is its own
 * probe module with its negative control where one exists; nothing is inferred from another part.
 */
import { PROBE_BYTES } from './probe-bytes.js';
import { canPost, instantiate, validates } from './util.js';

/** Instantiates the probe, makes a shared struct and posts it: conveyance is what running SET on threads needs. */
export function setThreads(): boolean {
  if (!validates('set-types')) return false;
  const instance = instantiate(PROBE_BYTES['set-threads'][0]);
  return canPost((instance.exports.n as () => unknown)());
}
