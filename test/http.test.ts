import { readFileSync } from 'node:fs';
import { describe } from 'vitest';
import { loadAssets } from '../src/node/assets.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';
import { describeMatrix } from './harness/clients.js';
import { emccPthreadsBuild } from './harness/emcc-pthreads.js';
import { httpSuite } from './suites/http.js';

const demo = Object.fromEntries(
  (['set', 'sab', 'wasi-threads', 'single'] as const).map((name) => [
    name,
    new Uint8Array(readFileSync(new URL(`../fixtures/demo/${name}.wasm`, import.meta.url))),
  ]),
) as Record<'set' | 'sab' | 'wasi-threads' | 'single', Uint8Array>;
const token = 'test-token-0123456789';

describe('HTTP API v1 on the memory store', () => {
  describeMatrix(
    'weft',
    async () => createApp({ store: memoryStore(), publishToken: token, assets: await loadAssets() }),
    (client) => {
      httpSuite({ client, demo, token, precompressed: true, build: emccPthreadsBuild() });
    },
  );
});
