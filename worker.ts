import type { R2BucketLike } from './src/registry/stores/r2.js';
import { type AssetsBinding, createWorker } from './src/worker/index.js';

/** The Worker's bindings (wrangler.toml); the publish token is a secret (`wrangler secret put WEFT_PUBLISH_TOKEN`). */
export interface Env {
  WEFT_BUCKET: R2BucketLike;
  WEFT_PUBLISH_TOKEN?: string;
  /** Workers static assets: the built client scripts (dist/browser). */
  ASSETS?: AssetsBinding;
}

// This repository's Worker: `weft/worker` under the default binding names.
export default createWorker();
