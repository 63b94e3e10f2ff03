import { describe, expect, it } from 'vitest';
import { encodeToken, ProfileError } from '../profile/codec.js';
import { negotiatedCacheKey } from './cache-key.js';
import { profileFrom } from './profile-input.js';

/** The key of a request to `path`, from its profile parsed as the app parses it (malformed: no key, a 400). */
function key(path: string): string | null {
  const url = new URL(path, 'https://wasm.example.com');
  const q = (name: string) => url.searchParams.get(name) ?? undefined;
  try {
    return negotiatedCacheKey(url, profileFrom({ caps: q('caps'), profile: q('profile'), host: q('host') }));
  } catch (err) {
    if (err instanceof ProfileError) return null;
    throw err;
  }
}

describe('negotiated cache keys', () => {
  it('makes one key of one profile written in any order, with duplicates, or as a token', () => {
    const a = key('/v1/modules/demo/wasm?caps=workers,threads,shared-memory,threads&host=browser');
    const b = key('/v1/modules/demo/wasm?host=browser&caps=shared-memory,threads,workers');
    const c = key(
      `/v1/modules/demo/wasm?profile=${encodeToken({ host: 'browser', caps: ['threads', 'shared-memory', 'workers'] })}`,
    );
    expect(a).toBe(
      'https://wasm.example.com/v1/modules/demo/wasm?caps=shared-memory,threads,workers&host=browser',
    );
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('keeps different profiles, modules and routes apart', () => {
    expect(key('/v1/modules/demo/wasm?caps=threads')).not.toBe(key('/v1/modules/demo/wasm?caps=simd'));
    expect(key('/v1/modules/demo/wasm?caps=threads')).not.toBe(key('/v1/modules/other/wasm?caps=threads'));
    expect(key('/v1/modules/demo/resolve?caps=threads')).not.toBe(key('/v1/modules/demo/wasm?caps=threads'));
  });

  it('keys a pinned request on its version, one key for the path and the query form', () => {
    const path = key('/v1/modules/demo@1.0.0%2B1/wasm?caps=threads');
    expect(path).toBe(
      'https://wasm.example.com/v1/modules/demo/wasm?caps=threads&host=unknown&version=1.0.0%2B1',
    );
    expect(key('/v1/modules/demo@1.0.0+1/wasm?caps=threads')).toBe(path);
    expect(key('/v1/modules/demo/wasm?caps=threads&version=1.0.0%2B1')).toBe(path);
    expect(key('/v1/modules/demo@2.0.0/wasm?caps=threads')).not.toBe(path);
    expect(key('/v1/modules/demo/wasm?caps=threads')).not.toBe(path);
  });

  it.each([
    ['two pins that disagree', '/v1/modules/demo@1.0.0/wasm?caps=threads&version=2.0.0'],
    ['a pin that breaks the version rule', '/v1/modules/demo/wasm?caps=threads&version=a+b'],
    ['another route', '/v1/modules/demo'],
    ['no profile in the query (header or User-Agent decides)', '/v1/modules/demo/wasm'],
    ['an unknown parameter', '/v1/modules/demo/wasm?caps=threads&x=1'],
    ['a malformed list', '/v1/modules/demo/wasm?caps=%3Cx%3E'],
    ['a malformed token', '/v1/modules/demo/wasm?profile=9'],
    [
      'a name this server does not know (reported back per request)',
      '/v1/modules/demo/resolve?caps=threads,set-future',
    ],
  ])('gives no key for %s: the app answers it uncached', (_what, path) => {
    expect(key(path)).toBeNull();
  });
});
