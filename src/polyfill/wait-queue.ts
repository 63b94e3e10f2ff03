/**
 * `WebAssembly.WaitQueue` (the proposal's managed waiter queue: a shared i32 control field with
 * futex-style `wait`/`notify`) over a `SharedArrayBuffer` and `Atomics`. Needs `threads`.
 */
import { isTagged, requireSharedMemory } from './tag.js';

const KIND = 'wait-queue';

// Cell 0: the control field. Cell 1: the polling fallback's bookkeeping, one word so one
// compare-exchange moves waiters to wake-ups: low 16 bits = pollers waiting, high 16 = wake tokens.
const CONTROL = 0;
const POLL = 1;
const TOKEN = 0x10000;

export type WaitResult = 'ok' | 'not-equal' | 'timed-out';
export type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };

/**
 * A wait queue. It travels by `postMessage` as `{ __weft: 'wait-queue', buffer }` (the buffer is
 * shared, not copied); {@link WaitQueue.revive} wraps it again. Results are `Atomics.wait`'s strings;
 * timeouts are in milliseconds. `wait` blocks, so browsers refuse it on a page's main thread: use
 * `waitAsync` there. No spurious wake-ups: `notify(n)` wakes at most n waiters and says how many.
 */
export class WaitQueue {
  readonly __weft = KIND;
  readonly buffer: SharedArrayBuffer;

  constructor() {
    requireSharedMemory('WaitQueue');
    this.buffer = new SharedArrayBuffer(8);
    Object.freeze(this);
  }

  /** The wrapper for a posted (cloned) or live one, over the same buffer. */
  static revive(value: unknown): WaitQueue {
    if (!isWaitQueue(value)) throw new TypeError('not a WaitQueue');
    if (value instanceof WaitQueue) return value;
    return Object.freeze(
      Object.assign(Object.create(WaitQueue.prototype) as WaitQueue, { __weft: KIND, buffer: value.buffer }),
    );
  }

  /**
   * The control field `wait` compares against. The proposal leaves it to wasm's struct accessors;
   * JS glue of the emulation has no wasm side, so it is exposed here.
   */
  get value(): number {
    return Atomics.load(cells(this), CONTROL);
  }

  set value(v: number) {
    Atomics.store(cells(this), CONTROL, v);
  }

  /** Sleeps while the control field is `expected`, until notified or `timeout` ms pass. */
  wait(expected: number, timeout = Number.POSITIVE_INFINITY): WaitResult {
    return Atomics.wait(cells(this), CONTROL, expected, timeout);
  }

  /** Wakes up to `count` waiters (sync, async and polling ones); returns how many it woke. */
  notify(count = Number.POSITIVE_INFINITY): number {
    count = Math.max(0, Math.trunc(count) || 0); // as Atomics.notify reads it: NaN is 0
    const c = cells(this);
    const woken = Atomics.notify(c, CONTROL, count);
    if (woken >= count) return woken;
    // Turn up to the rest of `count` pollers into wake tokens, atomically.
    for (;;) {
      const word = Atomics.load(c, POLL);
      const moved = Math.min(count - woken, word & 0xffff);
      if (moved === 0) return woken;
      if (Atomics.compareExchange(c, POLL, word, word - moved + moved * TOKEN) === word) return woken + moved;
    }
  }

  /** `Atomics.waitAsync`'s contract; engines without it get a polling fallback with the same results. */
  waitAsync(expected: number, timeout = Number.POSITIVE_INFINITY): WaitAsyncResult {
    const c = cells(this);
    const native = (Atomics as { waitAsync?: (...a: unknown[]) => WaitAsyncResult }).waitAsync;
    if (typeof native === 'function') return native.call(Atomics, c, CONTROL, expected, timeout);
    if (Atomics.load(c, CONTROL) !== expected) return { async: false, value: 'not-equal' };
    if (timeout <= 0) return { async: false, value: 'timed-out' };
    Atomics.add(c, POLL, 1);
    return { async: true, value: poll(c, Date.now() + timeout) };
  }
}

/** Live queue or its cloned form. */
export function isWaitQueue(value: unknown): value is { __weft: typeof KIND; buffer: SharedArrayBuffer } {
  return (
    isTagged(value, KIND) &&
    typeof SharedArrayBuffer === 'function' &&
    value.buffer instanceof SharedArrayBuffer
  );
}

function cells(q: WaitQueue): Int32Array {
  return new Int32Array(q.buffer, 0, 2);
}

// Every registered poller holds one unit (a poller count or, once notified, a token) and gives
// exactly one back when it finishes, so a notify is never lost and never wakes more than it says.
async function poll(c: Int32Array, deadline: number): Promise<'ok' | 'timed-out'> {
  for (let delay = 1; ; delay = Math.min(delay * 2, 16)) {
    const word = Atomics.load(c, POLL);
    if (word >>> 16 !== 0) {
      if (Atomics.compareExchange(c, POLL, word, word - TOKEN) === word) return 'ok';
      continue;
    }
    if (Date.now() >= deadline) {
      if (Atomics.compareExchange(c, POLL, word, word - 1) === word) return 'timed-out';
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))));
  }
}
