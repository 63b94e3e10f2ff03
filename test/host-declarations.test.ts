/**
 * Host declarations (issue 23): a build declared for some hosts only (`hosts=browser,worker`) is
 * never served elsewhere. Over HTTP (`PUT` declares, `/resolve`, `/wasm` and the 406 report honour
 * and explain it), in the stored record, and in `weft.json`. The CLI and `load()` on Node are in
 * host-declarations-cli.test.ts.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import { planFolder } from '../src/node/description.js';
import type { Host } from '../src/profile/caps.js';
import { encodeToken } from '../src/profile/codec.js';
import { DeclarationError } from '../src/registry/declaration.js';
import { moduleKey, parseModule } from '../src/registry/records.js';
import { ManifestError, SCHEMA } from '../src/registry/schema.js';
import type { Store } from '../src/registry/store.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';
import { DEMO, type DemoName, TOKEN } from './harness/trust.js';

const THREADED = ['shared-memory', 'threads', 'workers'] as const;
const ALL_HOSTS = 'browser, worker, node, deno, bun, workerd, native';

let store: Store;
let app: Hono;

beforeEach(() => {
  store = memoryStore();
  app = createApp({ store, publishToken: TOKEN, manifestTtlMs: 0 });
});

async function put(variant: DemoName, query = ''): Promise<Response> {
  return app.request(`/v1/modules/demo/variants/${variant}${query ? `?${query}` : ''}`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${TOKEN}` },
    body: DEMO[variant] as Uint8Array<ArrayBuffer>,
  });
}

async function published(variant: DemoName, query = '') {
  const res = await put(variant, query);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { variant: { name: string; hosts?: string[] } };
}

/** `/resolve` for a threaded profile on `host`, as the SDK asks it (the compact token carries the host). */
async function resolveOn(host: Host, caps: readonly string[] = THREADED) {
  const token = encodeToken({ host, caps: caps as never });
  const res = await app.request(`/v1/modules/demo/resolve?profile=${token}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const recordText = async () => new TextDecoder().decode((await store.get(moduleKey('demo')))!);

describe('PUT hosts=: a build for browsers only', () => {
  beforeEach(async () => {
    await published('single');
    expect((await published('sab', 'hosts=worker,browser')).variant.hosts).toEqual(['browser', 'worker']);
  });

  it('is recorded with its hosts, and listed with them in the module entry', async () => {
    const entry = (await (await app.request('/v1/modules/demo')).json()) as {
      variants: { name: string; hosts?: string[] }[];
    };
    expect(entry.variants.map((v) => [v.name, v.hosts])).toEqual([
      ['sab', ['browser', 'worker']],
      ['single', undefined],
    ]);
    expect(JSON.parse(await recordText()).variants[0].hosts).toEqual(['browser', 'worker']);
  });

  it.each(['browser', 'worker'] as const)(
    'is served to a threaded %s profile, the answer naming its hosts',
    async (host) => {
      const { status, body } = await resolveOn(host);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        variant: 'sab',
        threads: true,
        hosts: ['browser', 'worker'],
        rejected: [],
      });
    },
  );

  it.each(['node', 'deno', 'bun', 'workerd', 'native', 'unknown'] as const)(
    'is passed over on a threaded %s profile: the single build is served and the report says why',
    async (host) => {
      const { status, body } = await resolveOn(host);
      expect(status).toBe(200);
      expect(body).toMatchObject({ variant: 'single', profile: { host } });
      expect(body).not.toHaveProperty('hosts');
      expect(body.rejected).toEqual([{ variant: 'sab', missing: [], hosts: ['browser', 'worker'] }]);
    },
  );

  it('is passed over for a readable caps= list without host= (host unknown), and served with host=browser', async () => {
    const caps = THREADED.join(',');
    const bare = (await (await app.request(`/v1/modules/demo/resolve?caps=${caps}`)).json()) as Record<
      string,
      unknown
    >;
    expect(bare).toMatchObject({ variant: 'single', profile: { host: 'unknown' } });
    const browser = (await (
      await app.request(`/v1/modules/demo/resolve?caps=${caps}&host=browser`)
    ).json()) as Record<string, unknown>;
    expect(browser).toMatchObject({ variant: 'sab' });
  });

  it('sends the single bytes from /wasm to a Node profile in the Wasm-Caps header, the sab bytes to a browser one', async () => {
    const node = await app.request('/v1/modules/demo/wasm', {
      headers: { 'Wasm-Caps': encodeToken({ host: 'node', caps: [...THREADED] }) },
    });
    expect(node.headers.get('Wasm-Variant')).toBe('single');
    expect(new Uint8Array(await node.arrayBuffer())).toEqual(DEMO.single);
    const browser = await app.request('/v1/modules/demo/wasm', {
      headers: { 'Wasm-Caps': encodeToken({ host: 'browser', caps: [...THREADED] }) },
    });
    expect(browser.headers.get('Wasm-Variant')).toBe('sab');
  });

  it('is served on every host again once republished without hosts (a declaration belongs to its publish)', async () => {
    await published('sab');
    expect((await resolveOn('node')).body).toMatchObject({ variant: 'sab', rejected: [] });
  });
});

describe('the 406 report', () => {
  it('names the hosts of a build passed over for its host, beside what the profile lacked', async () => {
    await published('sab', 'hosts=browser');
    const res = await app.request(
      `/v1/modules/demo/wasm?profile=${encodeToken({ host: 'node', caps: ['shared-memory'] })}`,
    );
    expect(res.status).toBe(406);
    const { error } = (await res.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({
      code: 'not_acceptable',
      rejected: [{ variant: 'sab', missing: ['threads'], hosts: ['browser'] }],
      profile: { host: 'node' },
    });
  });

  it('is the answer on another host even when the build is the fallback: a fallback never goes to a host it is not for', async () => {
    await published('sab', 'hosts=browser&fallback=true');
    expect((await resolveOn('browser', [])).body).toMatchObject({ variant: 'sab', fallback: true });
    expect((await resolveOn('node')).status).toBe(406);
  });
});

describe('PUT refuses bad host declarations', () => {
  it.each([
    ['hosts=browser,nodejs', `hosts: nodejs is not a host (one of ${ALL_HOSTS})`],
    ['hosts=unknown', `hosts: unknown is not a host (one of ${ALL_HOSTS})`],
    ['hosts=', 'hosts: must name at least one host'],
    [`hosts=${encodeURIComponent('<img src=x>')}`, `hosts: (a name) is not a host (one of ${ALL_HOSTS})`],
  ])('%s: 400 bad_declaration naming the host, record unchanged', async (query, message) => {
    await published('single');
    const before = await recordText();
    const res = await put('sab', query);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'bad_declaration', message } });
    expect(text).not.toContain('<img');
    expect(await recordText()).toBe(before);
  });
});

describe('the stored record', () => {
  const record = (hosts: unknown) =>
    new TextEncoder().encode(
      JSON.stringify({
        schema: SCHEMA,
        name: 'demo',
        version: '1',
        variants: [
          {
            name: 'sab',
            model: 'sab',
            requires: [],
            blob: `sha256-${'0'.repeat(64)}`,
            size: 1,
            polyfills: [],
            hosts,
          },
        ],
      }),
    );

  it('keeps declared hosts', () => {
    expect(parseModule(record(['browser', 'worker']), 'demo').variants[0]!.hosts).toEqual([
      'browser',
      'worker',
    ]);
  });

  it.each([[['nodejs']], [[]], [['node', 'node']], ['node'], [['unknown']]])(
    'refuses hosts %j, naming the field',
    (hosts) => {
      expect(() => parseModule(record(hosts), 'demo')).toThrow(ManifestError);
      expect(() => parseModule(record(hosts), 'demo')).toThrow(
        /^manifest: modules\.demo\.variants\[0\]\.hosts: /,
      );
    },
  );
});

describe('weft.json hosts', () => {
  /** A build folder holding the demo's sab and single wasm and the given description. */
  function folder(variants: Record<string, unknown>[]): string {
    const dir = mkdtempSync(join(tmpdir(), 'weft-hosts-'));
    for (const name of ['sab', 'single'])
      cpSync(new URL(`../fixtures/demo/${name}.wasm`, import.meta.url), join(dir, `${name}.wasm`));
    writeFileSync(join(dir, 'weft.json'), JSON.stringify({ module: 'demo', variants }));
    return dir;
  }

  it('declares the hosts of a variant', () => {
    const plan = planFolder(
      folder([
        { name: 'sab', file: 'sab.wasm', hosts: ['browser', 'worker'] },
        { name: 'single', file: 'single.wasm' },
      ]),
    );
    expect(plan.variants.map((v) => [v.variant, v.declaration?.hosts])).toEqual([
      ['sab', ['browser', 'worker']],
      ['single', undefined],
    ]);
  });

  it('refuses an unknown host, naming the variant and field', () => {
    const dir = folder([{ name: 'sab', file: 'sab.wasm', hosts: 'browser,nodejs' }]);
    expect(() => planFolder(dir)).toThrow(DeclarationError);
    expect(() => planFolder(dir)).toThrow(`variants[0].hosts: nodejs is not a host (one of ${ALL_HOSTS})`);
  });
});
