/**
 * Versions over HTTP (contract.md, "Versions"), part of the HTTP suite: on Node and in workerd
 * over R2 alike. Each case owns its module.
 */
import { expect, it } from 'vitest';

interface VersionContext {
  get: (path: string, init?: RequestInit) => Promise<Response>;
  token: string;
  demo: Record<'set' | 'sab' | 'wasi-threads' | 'single', Uint8Array>;
  hex: (bytes: ArrayBuffer | Uint8Array) => Promise<string>;
}

const SAB_CAPS = 'shared-memory,threads,workers';

export function versionCases(v: VersionContext): void {
  const auth = { Authorization: `Bearer ${v.token}` };
  const put = (module: string, bytes: Uint8Array, query = '') =>
    v.get(`/v1/modules/${module}/variants/main${query}`, {
      method: 'PUT',
      body: bytes as Uint8Array<ArrayBuffer>,
      headers: auth,
    });
  const wasmHex = async (path: string) => {
    const res = await v.get(path);
    expect(res.status, path).toBe(200);
    return v.hex(await res.arrayBuffer());
  };
  const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  it('pins a version: v1 serves its own bytes after v2, rollback is one call, a removed version is 410, never another', async () => {
    const m = 'versions-pin';
    const [single, sab] = [await v.hex(v.demo.single), await v.hex(v.demo.sab)];
    expect((await put(m, v.demo.single, '?version=1.0.0')).status).toBe(201);
    expect(await wasmHex(`/v1/modules/${m}@1.0.0/wasm?caps=${SAB_CAPS}`)).toBe(single);
    expect((await put(m, v.demo.sab, '?version=2.0.0')).status).toBe(201);
    // Pinned: v1's exact bytes, by the path and by the query; unpinned: v2.
    expect(await wasmHex(`/v1/modules/${m}@1.0.0/wasm?caps=${SAB_CAPS}`)).toBe(single);
    expect(await wasmHex(`/v1/modules/${m}/wasm?caps=${SAB_CAPS}&version=1.0.0`)).toBe(single);
    expect(await wasmHex(`/v1/modules/${m}/wasm?caps=${SAB_CAPS}`)).toBe(sab);
    const pinned = (await (await v.get(`/v1/modules/${m}@1.0.0/resolve?caps=${SAB_CAPS}`)).json()) as {
      version: string;
      integrity: string;
    };
    expect(pinned.version).toBe('1.0.0');
    expect(((await (await v.get(`/v1/modules/${m}@1.0.0`)).json()) as { version: string }).version).toBe(
      '1.0.0',
    );

    // A taken version is refused, unless the publish is an identical retry.
    const taken = await put(m, v.demo.set, '?version=1.0.0');
    expect(taken.status).toBe(409);
    expect(await code(taken)).toBe('version_exists');
    expect((await put(m, v.demo.sab, '?version=2.0.0')).status).toBe(201);

    const listed = (await (await v.get(`/v1/modules/${m}/versions`)).json()) as {
      current: string;
      versions: { version: string; published: string | null }[];
    };
    expect(listed.current).toBe('2.0.0');
    expect(listed.versions.map((x) => x.version)).toEqual(['1.0.0', '2.0.0']);

    // Rollback: authenticated, one call.
    const body = JSON.stringify({ version: '1.0.0' });
    expect((await v.get(`/v1/modules/${m}/current`, { method: 'PUT', body })).status).toBe(401);
    const back = await v.get(`/v1/modules/${m}/current`, { method: 'PUT', body, headers: auth });
    expect(back.status).toBe(200);
    expect(await back.json()).toEqual({ module: m, current: '1.0.0', previous: '2.0.0' });
    expect(await wasmHex(`/v1/modules/${m}/wasm?caps=${SAB_CAPS}`)).toBe(single);

    // Removal: the current version is refused; v2 goes, and its pinned reads are 410 on every route.
    const current = await v.get(`/v1/modules/${m}/versions/1.0.0`, { method: 'DELETE', headers: auth });
    expect(current.status).toBe(409);
    expect(await code(current)).toBe('version_current');
    expect((await v.get(`/v1/modules/${m}/versions/2.0.0`, { method: 'DELETE' })).status).toBe(401);
    const removed = await v.get(`/v1/modules/${m}/versions/2.0.0`, { method: 'DELETE', headers: auth });
    expect(removed.status).toBe(200);
    for (const path of [
      `/v1/modules/${m}@2.0.0/wasm?caps=${SAB_CAPS}`,
      `/v1/modules/${m}/wasm?caps=${SAB_CAPS}&version=2.0.0`,
      `/v1/modules/${m}@2.0.0/resolve?caps=${SAB_CAPS}`,
      `/v1/modules/${m}@2.0.0`,
    ]) {
      const res = await v.get(path);
      expect(res.status, path).toBe(410);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
      expect(await code(res), path).toBe('version_removed');
    }
    const never = await v.get(`/v1/modules/${m}@3.0.0/resolve?caps=`);
    expect(never.status).toBe(404);
    expect(await code(never)).toBe('no_such_version');
    expect(await wasmHex(`/v1/modules/${m}@1.0.0/wasm?caps=${SAB_CAPS}`)).toBe(single);
    // A removed version is never published again.
    expect((await put(m, v.demo.sab, '?version=2.0.0')).status).toBe(409);
  });

  it('bumps +N on an unversioned publish, pinned by the path with %2B; a publish that changes nothing makes no version', async () => {
    const m = 'versions-bump';
    expect((await put(m, v.demo.single, '?version=1.0.0')).status).toBe(201);
    const next = await put(m, v.demo.sab);
    expect(((await next.json()) as { version: string }).version).toBe('1.0.0+1');
    const again = await put(m, v.demo.sab);
    expect(((await again.json()) as { version: string }).version).toBe('1.0.0+1');
    expect(await wasmHex(`/v1/modules/${m}@1.0.0%2B1/wasm?caps=${SAB_CAPS}`)).toBe(await v.hex(v.demo.sab));
    expect(await wasmHex(`/v1/modules/${m}/wasm?caps=${SAB_CAPS}&version=1.0.0%2B1`)).toBe(
      await v.hex(v.demo.sab),
    );
    const listed = (await (await v.get(`/v1/modules/${m}/versions`)).json()) as {
      versions: { version: string }[];
    };
    expect(listed.versions.map((x) => x.version)).toEqual(['1.0.0', '1.0.0+1']);
    // A query `+` is a space: refused, naming the rule.
    const space = await v.get(`/v1/modules/${m}/resolve?caps=&version=1.0.0+1`);
    expect(space.status).toBe(400);
  });
}
