/**
 * The one storage interface behind the server: a flat key space of byte values.
 * Keys are `modules/<name>.json`, `blobs/sha256-<hex>.wasm` (plus precompressed siblings and its
 * `.json` record), `bundles/<id>.json` and
 * `files/sha256-<hex>` (the other files of variant bundles).
 * Every driver (memory, fs, r2) has this shape and passes the same conformance suite.
 */
export interface Store {
  /** The driver's name, for logs and health answers. */
  readonly driver: string;
  /** The value, or null when the key is absent. */
  get(key: string): Promise<Uint8Array | null>;
  /** Writes the whole value; a reader sees the old value or the new one, never a mix. */
  put(key: string, value: Uint8Array): Promise<void>;
  /** Removes the key; removing an absent key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix`, sorted. */
  list(prefix?: string): Promise<string[]>;
  /**
   * The value with its version (an opaque token: R2's etag, a content hash), or null when absent:
   * what {@link Store.putIf} compares against.
   */
  getVersioned(key: string): Promise<Versioned | null>;
  /**
   * Compare-and-swap: writes only if the key is still at `version` (null: only if it is absent),
   * atomically with respect to every other writer, in this process or another. False when another
   * writer got there first; the value is then left as that writer made it.
   */
  putIf(key: string, value: Uint8Array, version: string | null): Promise<boolean>;
}

export interface Versioned {
  value: Uint8Array;
  version: string;
}

const KEY = /^[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)*$/;

/** Store keys are built by weft, never taken raw from a request; this guards the drivers anyway. */
export function checkKey(key: string): string {
  // Every segment starts with [a-z0-9], so `.`, `..`, absolute paths and backslashes cannot pass.
  if (key.length > 512 || !KEY.test(key)) {
    throw new StoreError('invalid store key');
  }
  return key;
}

/** A store that could not do its job: the server answers 503 with Retry-After, never 500. */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/**
 * Runs a driver operation and turns any failure into a StoreError with context. One layer does it:
 * weft's drivers for their own calls, `withTimeout` for any other Store (a StoreError passes through
 * unchanged); callers never wrap again.
 */
export async function guard<T>(driver: string, op: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(`${driver} store: ${op} failed`, { cause: err });
  }
}

const isBytes = (value: unknown): value is Uint8Array =>
  Object.prototype.toString.call(value) === '[object Uint8Array]';

/**
 * The store the app uses: every call bounded by `ms` (a hung driver becomes a StoreError, so a
 * 503, instead of a request that never ends), every failure a StoreError, and every value checked
 * to be bytes. `ms <= 0` or `Infinity` leaves calls unbounded. The abandoned call is not cancelled.
 */
export function withTimeout(store: Store, ms: number): Store {
  const bounded = Number.isFinite(ms) && ms > 0;
  const run = <T>(op: string, call: () => Promise<T>): Promise<T> => {
    const guarded = guard(store.driver, op, call);
    if (!bounded) return guarded;
    // Assigned synchronously by the executor below.
    let timer!: ReturnType<typeof setTimeout>;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreError(`${store.driver} store: ${op} timed out after ${ms} ms`)),
        ms,
      );
    });
    return Promise.race([guarded, expired]).finally(() => clearTimeout(timer));
  };
  return {
    driver: store.driver,
    get: (key) =>
      run('get', async () => {
        const value = await store.get(key);
        if (value !== null && !isBytes(value))
          throw new StoreError(`${store.driver} store: get returned no bytes`);
        return value;
      }),
    put: (key, value) => run('put', () => store.put(key, value)),
    delete: (key) => run('delete', () => store.delete(key)),
    getVersioned: (key) =>
      run('get', async () => {
        const got = await store.getVersioned(key);
        if (got !== null && (!isBytes(got?.value) || typeof got.version !== 'string'))
          throw new StoreError(`${store.driver} store: get returned no bytes`);
        return got;
      }),
    putIf: (key, value, version) =>
      run('put', async () => {
        const done = await store.putIf(key, value, version);
        if (typeof done !== 'boolean')
          throw new StoreError(`${store.driver} store: putIf returned no answer`);
        return done;
      }),
    list: (prefix) =>
      run('list', async () => {
        const keys = await store.list(prefix);
        if (!Array.isArray(keys)) throw new StoreError(`${store.driver} store: list returned no array`);
        return keys;
      }),
  };
}
