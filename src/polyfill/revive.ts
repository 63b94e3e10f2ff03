/**
 * One entry point for everything that arrives by `postMessage`: polyfill objects come back as their
 * classes, wherever they sit in plain objects and arrays.
 */
import { isSharedGlobal, SharedGlobal } from './shared-global.js';
import { isThreadBoundData, ThreadBoundData } from './thread-bound-data.js';
import { isThreadLocalFunction, ThreadLocalFunction } from './thread-local-function.js';
import { isThreadLocalGlobal, ThreadLocalGlobal } from './thread-local-global.js';
import { isWaitQueue, WaitQueue } from './wait-queue.js';

/**
 * `value` with every polyfill object (posted or live) turned back into its class: a thread-local
 * global or function with the same id, a ThreadBoundData that knows its origin, a SharedGlobal or
 * WaitQueue over the same buffer. Walks plain objects and arrays; returns new containers only where
 * something changed, and leaves everything else alone.
 */
export function revive<T = unknown>(value: unknown): T {
  return walk(value, new Set()) as T;
}

function walk(value: unknown, seen: Set<object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isThreadLocalGlobal(value)) return ThreadLocalGlobal.revive(value);
  if (isThreadLocalFunction(value)) return ThreadLocalFunction.revive(value);
  if (isThreadBoundData(value)) return ThreadBoundData.revive(value);
  if (isSharedGlobal(value)) return SharedGlobal.revive(value);
  if (isWaitQueue(value)) return WaitQueue.revive(value);
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    const items = value.map((item) => walk(item, seen));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  // Plain objects only, from any realm (an iframe's Object.prototype is not ours).
  const proto = Object.getPrototypeOf(value);
  if (proto !== null && Object.getPrototypeOf(proto) !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const revived = walk(item, seen);
    if (revived === item) continue;
    copy ??= { ...value };
    copy[key] = revived;
  }
  return copy ?? value;
}
