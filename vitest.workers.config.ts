import { readFileSync } from 'node:fs';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineProject } from 'vitest/config';
import { emccPthreadsBase64 } from './test/harness/emcc-pthreads.js';

// Offline and quiet: no Cloudflare fetches, no metrics, wrangler's state kept in the project.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
process.env.WRANGLER_SEND_METRICS ??= 'false';
process.env.XDG_CONFIG_HOME ??= '.wrangler/config';

// The demo variants' bytes, handed to the tests inside workerd (which cannot read files).
const demo = Object.fromEntries(
  ['set', 'sab', 'wasi-threads', 'single'].map((name) => [
    name,
    readFileSync(new URL(`./fixtures/demo/${name}.wasm`, import.meta.url)).toString('base64'),
  ]),
);

// Runs test/workers inside workerd with the bindings of wrangler.toml (R2 simulated locally, offline).
export default defineProject({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: { bindings: { WEFT_PUBLISH_TOKEN: 'test-token-0123456789' } },
    }),
  ],
  // The Debian emcc pthreads build (null without emcc), for the upload protocol's cases.
  define: {
    __WEFT_DEMO__: JSON.stringify(demo),
    __WEFT_EMCC_PTHREADS__: JSON.stringify(emccPthreadsBase64()),
  },
  test: {
    name: 'workers',
    include: ['test/workers/**/*.test.ts'],
    // Generous: these machines are shared, and workerd start-up and R2 writes vary with load.
    testTimeout: 30_000,
  },
});
