import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

describe('worker.ts inside workerd', () => {
  it('answers /healthz with {"status":"ok"}', async () => {
    const res = await exports.default.fetch('http://weft.test/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('runs in the Workers runtime, where compiling wasm bytes at run time is disallowed', async () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers');
    const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    // workerd's own types leave `compile` out; the runtime has it and refuses to generate code.
    const { compile } = WebAssembly as unknown as { compile(bytes: Uint8Array): Promise<unknown> };
    await expect(compile(empty)).rejects.toThrow(/disallowed/);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await exports.default.fetch('http://weft.test/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });
});
