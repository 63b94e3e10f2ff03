/**
 * `PUT /v1/modules/:name/variants/:variant` with declarations in the query: what inspection cannot
 * see (`requires` edits, `model`, `threads=optional`, `polyfills`), `fallback=true` and `order=`. A bad
 * declaration is a 400 `bad_declaration` that names the field, echoes nothing, and leaves the
 * manifest as it was.
 */
import type { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import { moduleKey } from '../src/registry/records.js';
import type { Store } from '../src/registry/store.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';
import { DEMO, type DemoName, TOKEN } from './harness/trust.js';

let store: Store;
let app: Hono;

beforeEach(() => {
  store = memoryStore();
  app = createApp({ store, publishToken: TOKEN, manifestTtlMs: 0 });
});

async function put(variant: DemoName, query = '', as: string = variant): Promise<Response> {
  return app.request(`/v1/modules/demo/variants/${as}${query ? `?${query}` : ''}`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${TOKEN}` },
    body: DEMO[variant] as Uint8Array<ArrayBuffer>,
  });
}

async function published(variant: DemoName, query = '', as: string = variant) {
  const res = await put(variant, query, as);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as {
    variant: { name: string; requires: string[]; model: string; polyfills: string[]; threads?: string };
    order: { variants: string[]; reasons: string[]; hidden: { variant: string; by: string }[] };
  };
}

async function resolve(caps: string) {
  const res = await app.request(`/v1/modules/demo/resolve?caps=${caps}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function entry() {
  const res = await app.request('/v1/modules/demo');
  expect(res.status).toBe(200);
  return (await res.json()) as {
    fallback?: string;
    order?: string[];
    variants: { name: string; requires: string[] }[];
  };
}

// The module's record as stored (every test publishes module `demo`).
const manifestBytes = async () => {
  const bytes = await store.get(moduleKey('demo'));
  return bytes ? new TextDecoder().decode(bytes) : null;
};

describe('PUT declarations', () => {
  it('applies capability edits to what inspection found', async () => {
    const body = await published('sab', 'requires=%2Bsimd,-threads');
    expect(body.variant.requires).toEqual(['shared-memory', 'simd']);
    expect((await entry()).variants[0]!.requires).toEqual(['shared-memory', 'simd']);
  });

  it('records a declared thread model and polyfills', async () => {
    const body = await published('sab', 'model=wasi-threads&polyfills=wait-queue,shared-global');
    expect(body.variant).toMatchObject({ model: 'wasi-threads', polyfills: ['wait-queue', 'shared-global'] });
  });

  it('serves an optional-threads build to a page without threads, saying its threads may not start', async () => {
    await published('single');
    expect((await published('sab', 'threads=optional')).variant.threads).toBe('optional');
    const notIsolated = await resolve('shared-memory,simd');
    expect(notIsolated.status).toBe(200);
    expect(notIsolated.body).toMatchObject({
      variant: 'sab',
      threads: false,
      optionalThreads: true,
      rejected: [],
    });
    const isolated = await resolve('shared-memory,threads,simd');
    expect(isolated.body).toMatchObject({ variant: 'sab', threads: true, optionalThreads: true });
    // Shared memory is still required: the binary declares it.
    expect((await resolve('simd')).body).toMatchObject({ variant: 'single', threads: false });
  });

  it('answers a build without optional threads with no optionalThreads flag', async () => {
    await published('sab');
    const { body } = await resolve('shared-memory,threads');
    expect(body).toMatchObject({ variant: 'sab', threads: true });
    expect(body).not.toHaveProperty('optionalThreads');
  });

  it('marks the published variant as the fallback with fallback=true', async () => {
    await published('sab', 'fallback=true');
    expect((await entry()).fallback).toBe('sab');
    const { status, body } = await resolve('simd');
    expect(status).toBe(200);
    expect(body).toMatchObject({ variant: 'sab', fallback: true });
  });

  it('puts the builds in the declared order, and reports the builds that order hides', async () => {
    await published('sab');
    const body = await published('single', 'order=single,sab');
    expect(body.order.variants).toEqual(['single', 'sab']);
    expect(body.order.reasons).toEqual(['single before sab: the declared order']);
    expect(body.order.hidden).toEqual([{ variant: 'sab', by: 'single' }]);
    expect((await entry()).order).toEqual(['single', 'sab']);
    expect((await resolve('shared-memory,threads')).body).toMatchObject({ variant: 'single' });
  });

  it('orders builds so none hides another when no order is declared', async () => {
    await published('single');
    const body = await published('sab');
    expect(body.order.variants).toEqual(['sab', 'single']);
    expect(body.order.hidden).toEqual([]);
  });
});

describe('PUT refuses bad declarations', () => {
  /** Raw values that must never come back in an answer. */
  const ODD = '<img src=x onerror=alert(1)>';
  const odd = encodeURIComponent(ODD);

  it.each([
    ['requires=%2Bsimd,-simd', 'requires', /simd is both added and removed/],
    ['requires=-simd', 'requires', /the build does not require simd/],
    [`requires=%2B${odd}`, 'requires', /\(a name\) is not a known capability/],
    ['requires=%2Bsimd2', 'requires', /simd2 is not a known capability/],
    [`model=${odd}`, 'model', /must be one of/],
    [`threads=${odd}`, 'threads', /"optional"/],
    ['threads=optional&requires=-threads', 'threads', /requires threads/],
    ['threads=optional&model=single', 'threads', /model is single/],
    [`polyfills=${odd}`, 'polyfills', /\(a name\) is not a known polyfill/],
    [`fallback=${odd}`, 'fallback', /must be true/],
    [`order=sab,${odd}`, 'order', /must list variants of the module/],
    ['order=sab,sab', 'order', /each once/],
  ])('%s: 400 bad_declaration naming %s, record unchanged', async (query, field, problem) => {
    await published('single');
    const before = await manifestBytes();
    const res = await put('sab', query);
    const text = await res.text();
    expect(res.status).toBe(400);
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    expect(error.code).toBe('bad_declaration');
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.message).toMatch(problem);
    expect(text).not.toContain('<img');
    expect(text).not.toContain(odd);
    expect(await manifestBytes()).toBe(before);
    expect((await entry()).variants.map((v) => v.name)).toEqual(['single']);
  });

  it('refuses optional threads on a single build', async () => {
    const res = await put('single', 'threads=optional');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'bad_declaration' } });
    expect(await manifestBytes()).toBeNull();
  });
});
