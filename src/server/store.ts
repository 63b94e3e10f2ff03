/**
 * The one storage interface behind the server: a flat key space of byte values.
 * Keys are `manifest.json` and `blobs/sha256-<hex>.wasm` (plus precompressed siblings).
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

/** Runs a driver operation and turns any failure into a StoreError with context. */
export async function guard<T>(driver: string, op: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(`${driver} store: ${op} failed`, { cause: err });
  }
}
