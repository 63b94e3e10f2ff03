import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { LoadError, load } from '../src/sdk/index.js';

const NODE_PROFILE = {
  host: 'node' as const,
  caps: ['shared-memory', 'threads', 'workers', 'wasi-threads'] as never[],
};

/** Flips one byte in every wasm body: what an altered blob or a tampering middlebox would deliver. */
const tampering: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (!(res.headers.get('content-type') ?? '').startsWith('application/wasm')) return res;
  const bytes = new Uint8Array(await res.arrayBuffer());
  bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0xff;
  return new Response(bytes, { status: res.status, headers: res.headers });
};

describe('the SDK refuses altered bytes and never instantiates them', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('fails with a clear error naming the module when every variant arrives altered, without instantiating', async () => {
    server = await startServer({ port: 0, storeDir: mkdtempSync(join(tmpdir(), 'weft-sdk-int-')) });
    let instantiated = false;
    const attempt = load('demo', {
      server: server.url,
      profile: NODE_PROFILE,
      fetch: tampering,
      imports: () => {
        instantiated = true;
        return {};
      },
    });
    await expect(attempt).rejects.toThrow(LoadError);
    await expect(attempt).rejects.toThrow(/cannot load demo.*integrity mismatch/);
    const err = (await attempt.catch((e: unknown) => e)) as LoadError;
    expect(err.details.failed?.map((f) => f.variant)).toEqual(
      expect.arrayContaining(['sab', 'wasi-threads', 'single']),
    );
    expect(instantiated).toBe(false);
  });

  it('falls back to the next acceptable variant when the chosen blob was altered in the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-sdk-int-'));
    // First start seeds the demo; alter the sab blob on disk; a fresh server has nothing cached.
    server = await startServer({ port: 0, storeDir: dir });
    await server.close();
    const record = JSON.parse(readFileSync(join(dir, 'modules', 'demo.json'), 'utf8'));
    const sab = record.variants.find((v: { name: string }) => v.name === 'sab');
    // The blob and its precompressed copies (an intact copy would still be served, rightly).
    for (const suffix of ['.wasm', '.wasm.br', '.wasm.gz']) {
      const path = join(dir, 'blobs', `${sab.blob}${suffix}`);
      const bytes = readFileSync(path);
      const at = bytes.length - 2;
      bytes[at] = bytes[at]! ^ 0xff;
      writeFileSync(path, bytes);
    }
    server = await startServer({ port: 0, storeDir: dir });

    const result = await load('demo', { server: server.url, profile: NODE_PROFILE, instantiate: false });
    expect(result.variant.name).toBe('wasi-threads');
    expect(result.failed.map((f) => f.variant)).toContain('sab');
  });
});
