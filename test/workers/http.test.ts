import { exports } from 'cloudflare:workers';
import { describe } from 'vitest';
import { httpSuite } from '../suites/http.js';

declare const __WEFT_DEMO__: Record<'set' | 'sab' | 'wasi-threads' | 'single', string>;
declare const __WEFT_EMCC_PTHREADS__: Record<string, string> | null;

const bytesOf = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

const demo = Object.fromEntries(
  Object.entries(__WEFT_DEMO__).map(([name, b64]) => [
    name,
    Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
  ]),
) as Record<'set' | 'sab' | 'wasi-threads' | 'single', Uint8Array>;

describe('HTTP API v1: worker.ts inside workerd, on R2', () => {
  httpSuite({
    client: () => (path, init) => exports.default.fetch(new Request(new URL(path, 'http://weft.test'), init)),
    demo,
    token: 'test-token-0123456789',
    precompressed: false,
    build: __WEFT_EMCC_PTHREADS__
      ? Object.fromEntries(Object.entries(__WEFT_EMCC_PTHREADS__).map(([f, b64]) => [f, bytesOf(b64)]))
      : undefined,
  });
});
