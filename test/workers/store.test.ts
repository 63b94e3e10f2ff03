import { env } from 'cloudflare:workers';
import { describe } from 'vitest';
import { r2Store } from '../../src/registry/stores/r2.js';
import { storeSuite } from '../suites/store.js';

describe('store conformance: r2 (inside workerd)', () => {
  storeSuite(async () => {
    // Each test starts from an empty bucket (the pool isolates storage per test file, not per test).
    const bucket = (env as { WEFT_BUCKET: R2Bucket }).WEFT_BUCKET;
    const listed = await bucket.list();
    await Promise.all(listed.objects.map((o) => bucket.delete(o.key)));
    return r2Store({ bucket });
  });
});
