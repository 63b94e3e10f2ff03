/**
 * Shared-everything threads, part by part (threading-models.md section 3). Each part is its own
 * probe module with its negative control where one exists; nothing is inferred from another part.
 */
import type { Capability } from '../profile/caps.js';
import { canPost, instantiate, validates } from './util.js';

/** Instantiates the probe, makes a shared struct and posts it: conveyance is what running SET on threads needs. */
export function setThreads(table: Partial<Record<Capability, string>>): boolean {
  if (!validates(table['set-types']!)) return false;
  const instance = instantiate(table['set-threads']!.slice(1));
  return canPost((instance.exports.n as () => unknown)());
}
