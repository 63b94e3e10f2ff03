/**
 * The SDK says whether the build it loaded may start threads: a build with optional threads is
 * loaded on an engine that cannot run them, and `threads` is false there (its glue must stay on
 * one thread); true where threads run; false for a single-threaded build.
 */
import { describe, expect, it } from 'vitest';
import type { Capability } from '../src/profile/caps.js';
import { load } from '../src/sdk/index.js';
import { createApp } from '../src/server/app.js';
import { publish } from '../src/server/publish.js';
import { memoryStore } from '../src/server/stores/memory.js';
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
});
