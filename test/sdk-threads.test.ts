/**
 * The SDK says whether the build it loaded may start threads: a build with optional threads is
 * loaded on an engine that cannot run them, and `threads` is false there (its glue must stay on
 * one thread); true where threads run; false for a single-threaded build.
 */
import { describe, expect, it } from 'vitest';
import type { Capability } from '../src/profile/caps.js';
import { publish } from '../src/registry/publish.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { load } from '../src/sdk/index.js';
import { createApp } from '../src/server/app.js';
import { DEMO } from './harness/trust.js';

const ISOLATED: Capability[] = ['shared-memory', 'threads', 'workers', 'bulk-memory'];
const NOT_ISOLATED: Capability[] = ['shared-memory', 'workers', 'bulk-memory'];

/** A fresh server app with `opt` (the demo's SAB build, declared to run on one thread too) and `plain`. */
async function server() {
  const store = memoryStore();
  await publish(store, { module: 'm', variant: 'plain', bytes: DEMO.single });
  await publish(store, {
    module: 'm',
    variant: 'opt',
    bytes: DEMO.sab,
    declaration: { threads: 'optional' },
  });
  const app = createApp({ store });
  const fetch = (url: RequestInfo | URL, init?: RequestInit) =>
    Promise.resolve(app.request(String(url), init));
  return { fetch: fetch as typeof globalThis.fetch, server: 'http://weft.test' };
}

describe('load() and optional threads', () => {
  it.each([
    ['an engine that cannot start threads', NOT_ISOLATED, false],
    ['an engine that can', ISOLATED, true],
  ])('loads the optional-threads build on %s, with threads: %s', async (_who, caps, threads) => {
    const result = await load('m', {
      ...(await server()),
      profile: { host: 'browser', caps },
      instantiate: false,
    });
    expect(result.variant.name).toBe('opt');
    expect(result.threads).toBe(threads);
  });

  it('says threads: false for a single-threaded build', async () => {
    const result = await load('m', {
      ...(await server()),
      profile: { host: 'browser', caps: ['bulk-memory'] },
      instantiate: false,
    });
    expect(result.variant.name).toBe('plain');
    expect(result.threads).toBe(false);
  });

  it('never pairs the wasm of one publish with the record of the next: it loads the bytes the record names', async () => {
    // /wasm answers from before a republish of `main`; the module's record from after it.
    const before = memoryStore();
    await publish(before, { module: 'm', variant: 'main', bytes: DEMO.single });
    const after = memoryStore();
    await publish(after, { module: 'm', variant: 'main', bytes: DEMO.sab });
    const old = createApp({ store: before });
    const current = createApp({ store: after });
    const fetch = ((url: RequestInfo | URL, init?: RequestInit) =>
      Promise.resolve(
        (String(url).includes('/wasm?') ? old : current).request(String(url), init),
      )) as typeof globalThis.fetch;
    const result = await load('m', {
      server: 'http://weft.test',
      fetch,
      profile: { host: 'browser', caps: ['shared-memory', 'threads', 'workers', 'bulk-memory'] },
      instantiate: false,
    });
    expect(result.failed.map((f) => f.reason)).toEqual([
      expect.stringMatching(/record changed while loading/),
    ]);
    // What was compiled is the build the record describes (the SAB build imports a shared memory).
    expect(WebAssembly.Module.imports(result.module).some((i) => i.kind === 'memory')).toBe(true);
    expect(result.variant.integrity).toMatch(/^sha256-/);
  });
});
