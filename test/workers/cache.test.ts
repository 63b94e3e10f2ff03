import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

declare const __WEFT_DEMO__: Record<'sab' | 'single', string>;
const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const get = (path: string, init?: RequestInit) =>
  exports.default.fetch(new Request(new URL(path, 'http://weft.test'), init));

describe('worker.ts edge cache (inside workerd)', () => {
  it('answers one profile written in another order from the same cache entry, with the same bytes', async () => {
    for (const name of ['single', 'sab'] as const) {
      const put = await get(`/v1/modules/cached/variants/${name}`, {
        method: 'PUT',
        body: bytes(__WEFT_DEMO__[name]),
        headers: { Authorization: 'Bearer test-token-0123456789' },
      });
      expect(put.status).toBe(201);
    }
    const first = await get('/v1/modules/cached/wasm?caps=workers,threads,shared-memory');
    expect(first.headers.get('weft-cache')).toBeNull();
    const firstBytes = new Uint8Array(await first.arrayBuffer());
    const second = await get('/v1/modules/cached/wasm?caps=shared-memory,threads,workers,threads');
    expect(second.headers.get('weft-cache')).toBe('hit');
    expect(second.headers.get('wasm-variant')).toBe('sab');
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(firstBytes);
    expect(firstBytes).toEqual(bytes(__WEFT_DEMO__.sab));
  });

  it('keeps other profiles, conditional requests and header profiles out of that entry', async () => {
    const single = await get('/v1/modules/cached/wasm?caps=');
    expect(single.headers.get('wasm-variant')).toBe('single');
    const etag = (await get('/v1/modules/cached/wasm?caps=threads,shared-memory,workers')).headers.get(
      'etag',
    )!;
    const conditional = await get('/v1/modules/cached/wasm?caps=threads,shared-memory,workers', {
      headers: { 'If-None-Match': etag },
    });
    expect(conditional.status).toBe(304);
    const viaHeader = await get('/v1/modules/cached/resolve', {
      headers: { 'Wasm-Caps': 'shared-memory,threads' },
    });
    expect(viaHeader.headers.get('weft-cache')).toBeNull();
  });

  it('sees a publish at once: the manifest generation is part of the key', async () => {
    const before = await get('/v1/modules/cached/resolve?caps=shared-memory,threads,workers');
    expect(((await before.json()) as { variant: string }).variant).toBe('sab');
    const again = await get('/v1/modules/cached/resolve?caps=workers,shared-memory,threads');
    expect(again.headers.get('weft-cache')).toBe('hit');
    const put = await get('/v1/modules/cached/variants/sab-next', {
      method: 'PUT',
      body: bytes(__WEFT_DEMO__.sab),
      headers: { Authorization: 'Bearer test-token-0123456789' },
    });
    expect(put.status).toBe(201);
    const after = await get('/v1/modules/cached/resolve?caps=shared-memory,threads,workers');
    expect(after.headers.get('weft-cache')).toBeNull();
    expect(((await after.json()) as { variant: string }).variant).toBe('sab-next');
  });
});
