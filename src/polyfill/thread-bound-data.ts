/**
 * `ThreadBoundData` (the proposal's shareable wrapper of an unshareable object, e.g. a DOM node held
 * by shared wasm data): anyone may hold and post it, only its own thread may `get()` the object.
 */
import { isTagged, newId, realmId, realmMap } from './tag.js';

const KIND = 'thread-bound-data';

/**
 * Wraps `value` for its creating realm. It travels by `postMessage` as the plain object
 * `{ __weft: 'thread-bound-data', id, origin }` without the value, which never leaves its realm;
 * posted back home, {@link ThreadBoundData.revive} gives access to the very same object again.
 *
 * Bound to a realm, not an agent: a same-origin iframe on the same thread is "another thread" here.
 * The wrapped object is kept alive as long as its realm (the proposal's strong-reference option),
 * because the emulation cannot see whether copies posted elsewhere are still alive.
 */
export class ThreadBoundData<T = unknown> {
  readonly __weft = KIND;
  readonly id: string;
  /** The id of the realm that made it: the only one where `get()` works. */
  readonly origin: string;

  constructor(value: T) {
    this.id = newId();
    this.origin = realmId();
    Object.freeze(this);
    realmMap<unknown>(KIND).set(this.id, value);
  }

  /** The wrapper for a posted (cloned) or live one. */
  static revive<T = unknown>(value: unknown): ThreadBoundData<T> {
    if (!isThreadBoundData(value)) throw new TypeError('not a ThreadBoundData');
    if (value instanceof ThreadBoundData) return value as ThreadBoundData<T>;
    const data = Object.create(ThreadBoundData.prototype) as ThreadBoundData<T>;
    return Object.freeze(Object.assign(data, { __weft: KIND, id: value.id, origin: value.origin }));
  }

  /** The wrapped object; a TypeError on any thread or realm but the one that made it. */
  get(): T {
    const values = realmMap<T>(KIND);
    if (this.origin !== realmId() || !values.has(this.id)) {
      throw new TypeError(
        `ThreadBoundData ${this.id} is bound to another thread (realm ${this.origin}): ` +
          'get() works only there',
      );
    }
    return values.get(this.id) as T;
  }
}

/** Live wrapper or its cloned form. */
export function isThreadBoundData(
  value: unknown,
): value is { __weft: typeof KIND; id: string; origin: string } {
  return isTagged(value, KIND) && typeof value.id === 'string' && typeof value.origin === 'string';
}
