import { checkKey, guard, type Store, StoreError } from '../store.js';

export const DRIVER_NAME = 'r2';

/** The part of the Workers `R2Bucket` binding this driver uses (kept structural: no Workers types needed). */
export interface R2BucketLike {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer>; etag: string } | null>;
  put(
    key: string,
    value: ArrayBuffer | ArrayBufferView,
    options?: { onlyIf?: { etagMatches?: string; etagDoesNotMatch?: string } },
  ): Promise<unknown>;
  delete(key: string): Promise<void>;
  list(options?: { prefix?: string; cursor?: string }): Promise<{
    objects: { key: string }[];
    truncated: boolean;
    cursor?: string;
  }>;
}

export interface R2StoreOptions {
  /** The R2 bucket binding from the Worker's environment. */
  bucket: R2BucketLike;
}

/** A store on Cloudflare R2. R2 writes are atomic per object, so a reader never sees a partial value. */
export function r2Store(options: R2StoreOptions): Store {
  if (!options?.bucket) throw new StoreError('r2 store: option "bucket" is required');
  const { bucket } = options;
  return {
    driver: DRIVER_NAME,
    get: (key) =>
      guard(DRIVER_NAME, 'get', async () => {
        const object = await bucket.get(checkKey(key));
        return object ? new Uint8Array(await object.arrayBuffer()) : null;
      }),
    // A body of known length: R2 refuses streams of unknown length in workerd.
    put: (key, value) => guard(DRIVER_NAME, 'put', async () => void (await bucket.put(checkKey(key), value))),
    delete: (key) => guard(DRIVER_NAME, 'delete', () => bucket.delete(checkKey(key))),
    getVersioned: (key) =>
      guard(DRIVER_NAME, 'get', async () => {
        const object = await bucket.get(checkKey(key));
        return object ? { value: new Uint8Array(await object.arrayBuffer()), version: object.etag } : null;
      }),
    // R2's conditional put is the compare-and-swap: it answers null when the condition fails.
    // "Absent" is `etagDoesNotMatch: '*'` (If-None-Match: *).
    putIf: (key, value, version) =>
      guard(DRIVER_NAME, 'put', async () => {
        const onlyIf = version === null ? { etagDoesNotMatch: '*' } : { etagMatches: version };
        return (await bucket.put(checkKey(key), value, { onlyIf })) !== null;
      }),
    list: (prefix = '') =>
      guard(DRIVER_NAME, 'list', async () => {
        const keys: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await bucket.list(cursor ? { prefix, cursor } : { prefix });
          keys.push(...page.objects.map((o) => o.key));
          cursor = page.truncated ? page.cursor : undefined;
        } while (cursor);
        return keys.sort();
      }),
  };
}

export default r2Store;
