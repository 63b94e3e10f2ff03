/**
 * Shared-everything threads, part by part (threading-models.md section 3). Each part is its own
 * probe module with its negative control where one exists; nothing is inferred from another part.
 */
import { canPost, instantiate } from './util.js';

/**
 * `set-threads`, given its module's hex and whether `set-types` validated: instantiates the module,
 * makes a shared struct and posts it. Conveyance is what running SET on threads needs.
 */
export function setThreads(hex: string, setTypes: boolean): boolean {
  return setTypes && canPost((instantiate(hex).exports.n as () => unknown)());
}
