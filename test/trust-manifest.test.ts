/**
 * Records in the store that are wrong (types, missing fields, duplicate names, unknown schema,
 * random bytes), in a module's record or in the one-file manifest of an earlier version awaiting
 * its upgrade: the server never serves from them (503 with Retry-After, a log line naming the
 * field), a bad module record is that module's 503 alone, the Node entry refuses to start on a bad
 * old manifest, and all recover when the store is fixed. Fuzzed mutations of a valid record or
 * manifest either fail validation with a ManifestError or serve only published bytes.
 */
import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { startServer } from '../src/node/serve.js';
import { readModules } from '../src/registry/catalog.js';
import { parseLegacyManifest } from '../src/registry/migrate.js';
import { publish } from '../src/registry/publish.js';
import {
  blobMetaKey,
  LEGACY_MANIFEST_KEY,
  moduleKey,
  parseBlobMeta,
  parseModule,
} from '../src/registry/records.js';
import { ManifestError } from '../src/registry/schema.js';
import type { Store } from '../src/registry/store.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { createApp } from '../src/server/app.js';
import { appClient, BIG, DEMO, expectSafe, hexOf, publishedOf, type Req } from './harness/trust.js';

const published = publishedOf(...Object.values(DEMO), BIG);
const json = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

let seeded: Store;
/** A valid one-file manifest (schema 2) of what was published, copies included, as an earlier version wrote it. */
let good: { schema: 2; modules: Record<string, { version: string; variants: Record<string, unknown>[] }> };
beforeAll(async () => {
  seeded = memoryStore();
  for (const name of ['single', 'wasi-threads', 'sab', 'set'] as const)
    await publish(seeded, { module: 'demo', variant: name, bytes: DEMO[name] });
  await publish(
    seeded,
    { module: 'big', variant: 'single', bytes: BIG },
    {
      gzip: async (b) =>
        new Uint8Array(
          await new Response(
            new Blob([b as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip')),
          ).arrayBuffer(),
        ),
    },
  );
  const { modules } = await readModules(seeded);
  for (const entry of Object.values(modules))
    for (const v of entry.variants) {
      const { encodings } = parseBlobMeta((await seeded.get(blobMetaKey(v.blob)))!, v.blob);
      if (encodings) Object.assign(v, { encodings });
    }
  good = JSON.parse(JSON.stringify({ schema: 2, modules }));
});

/** A store with the seeded blobs (and their copies) and the given one-file manifest bytes, as an earlier version wrote it. */
async function storeWith(manifest: Uint8Array): Promise<Store> {
  const initial: Record<string, Uint8Array> = {};
  for (const key of await seeded.list('blobs/'))
    if (/\.wasm(\.br|\.gz)?$/.test(key)) initial[key] = (await seeded.get(key))!;
  initial[LEGACY_MANIFEST_KEY] = manifest;
  return memoryStore({ initial });
}

/** The seeded store as this version writes it, with module `demo`'s record replaced by `record`. */
async function storeWithRecord(record: Uint8Array): Promise<Store> {
  const initial: Record<string, Uint8Array> = {};
  for (const key of await seeded.list()) initial[key] = (await seeded.get(key))!;
  initial[moduleKey('demo')] = record;
  return memoryStore({ initial });
}

/** The status of a `PUT` of the demo's single build as variant `x` of module `demo`. */
async function putInto(store: Store): Promise<number> {
  const res = await createApp({ store, publishToken: 't' }).request('/v1/modules/demo/variants/x', {
    method: 'PUT',
    body: DEMO.single as Uint8Array<ArrayBuffer>,
    headers: { Authorization: 'Bearer t' },
  });
  return res.status;
}

const SINGLE = {
  name: 'single',
  model: 'single',
  requires: [],
  blob: `sha256-${hexOf(DEMO.single)}`,
  size: DEMO.single.length,
  polyfills: [],
};
const variant = (over: Record<string, unknown> = {}) => ({ ...SINGLE, ...over });
const withDemo = (over: Record<string, unknown>) => ({
  schema: 1,
  modules: { demo: { version: '1.0.0', variants: [variant()], ...over } },
});
const withVariant = (over: Record<string, unknown>) => withDemo({ variants: [variant(over)] });
const HEX = 'a'.repeat(64);

const BAD: [string, unknown, string][] = [
  ['not JSON', '{"schema":1,', '(root)'],
  ['an array', [], '(root)'],
  ['null', 'null', '(root)'],
  ['a schema it does not read as one file', { schema: 3, modules: {} }, 'schema'],
  ['the schema as a string', { schema: '1', modules: {} }, 'schema'],
  ['no schema', { modules: {} }, 'schema'],
  ['no modules', { schema: 1 }, 'modules'],
  ['modules as an array', { schema: 1, modules: [] }, 'modules'],
  ['a bad module name', { schema: 1, modules: { '../x': withDemo({}).modules.demo } }, 'modules.(name)'],
  ['a module that is not an object', { schema: 1, modules: { demo: 'x' } }, 'modules.demo'],
  ['a numeric version', withDemo({ version: 1 }), 'modules.demo.version'],
  ['no version', withDemo({ version: undefined }), 'modules.demo.version'],
  ['no variants', withDemo({ variants: [] }), 'modules.demo.variants'],
  ['variants as an object', withDemo({ variants: { a: variant() } }), 'modules.demo.variants'],
  [
    '33 variants',
    withDemo({ variants: Array.from({ length: 33 }, (_, i) => variant({ name: `v${i}` })) }),
    'modules.demo.variants',
  ],
  ['a null variant', withDemo({ variants: [null] }), 'modules.demo.variants[0]'],
  ['a variant without a name', withVariant({ name: undefined }), 'modules.demo.variants[0].name'],
  [
    'duplicate variant names',
    withDemo({ variants: [variant(), variant()] }),
    'modules.demo.variants[1].name',
  ],
  ['an unknown thread model', withVariant({ model: 'green-threads' }), 'modules.demo.variants[0].model'],
  ['an unknown capability', withVariant({ requires: ['warp-drive'] }), 'modules.demo.variants[0].requires'],
  ['requires as a string', withVariant({ requires: 'simd' }), 'modules.demo.variants[0].requires'],
  ['a blob path', withVariant({ blob: '../../canary.txt' }), 'modules.demo.variants[0].blob'],
  ['an upper-case blob', withVariant({ blob: `sha256-${'A'.repeat(64)}` }), 'modules.demo.variants[0].blob'],
  ['a negative size', withVariant({ size: -1 }), 'modules.demo.variants[0].size'],
  ['a fractional size', withVariant({ size: 1.5 }), 'modules.demo.variants[0].size'],
  ['a size as a string', withVariant({ size: '161' }), 'modules.demo.variants[0].size'],
  ['an unknown polyfill', withVariant({ polyfills: ['eval'] }), 'modules.demo.variants[0].polyfills'],
  ['encodings as an array', withVariant({ encodings: [] }), 'modules.demo.variants[0].encodings'],
  [
    'an unknown encoding',
    withVariant({ encodings: { zstd: { size: 1, sha256: HEX } } }),
    'modules.demo.variants[0].encodings.(name)',
  ],
  ['a copy as a string', withVariant({ encodings: { br: 'x' } }), 'modules.demo.variants[0].encodings.br'],
  [
    'a copy without its hash',
    withVariant({ encodings: { br: { size: 10 } } }),
    'modules.demo.variants[0].encodings.br.sha256',
  ],
  [
    'a copy with a bad hash',
    withVariant({ encodings: { gzip: { size: 10, sha256: 'sha256-x' } } }),
    'modules.demo.variants[0].encodings.gzip.sha256',
  ],
  [
    'a copy with a negative size',
    withVariant({ encodings: { gzip: { size: -5, sha256: HEX } } }),
    'modules.demo.variants[0].encodings.gzip.size',
  ],
  ['a fallback naming no variant', withDemo({ fallback: 'nope' }), 'modules.demo.fallback'],
];

describe('a bad one-file manifest awaiting its upgrade', () => {
  let errors: MockInstance<typeof console.error>;
  beforeEach(() => {
    errors = vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => errors.mockRestore());

  it.each(BAD)(
    'with %s: every route that reads it answers 503 and the log names %j',
    async (_what, manifest, field) => {
      const store = await storeWith(json(manifest));
      const client = appClient(createApp({ store, manifestTtlMs: 0 }));
      for (const path of [
        '/v1/modules',
        '/v1/modules/demo',
        '/v1/modules/demo/resolve?caps=',
        '/v1/modules/demo/wasm?caps=',
        `/v1/blobs/sha256-${hexOf(DEMO.single)}.wasm`,
      ]) {
        const req = { path };
        const answer = await client(req);
        expectSafe(answer, req, published);
        expect(answer.status, path).toBe(503);
        expect(JSON.parse(new TextDecoder().decode(answer.body)).error.message).toBe(
          'a record in the store is invalid',
        );
      }
      expect((await client({ path: '/healthz' })).status).toBe(200);
      expect(errors.mock.calls.map((c) => c.join(' ')).join('\n')).toContain(`weft: manifest: ${field}: `);
    },
  );

  it.each(BAD)('with %s: the Node entry refuses to start, naming %j', async (_what, manifest, field) => {
    const store = await storeWith(json(manifest));
    await expect(startServer({ store, port: 0 })).rejects.toThrow(
      new RegExp(`^manifest: ${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    );
  });

  it('recovers as soon as the store holds a valid manifest again', async () => {
    const store = await storeWith(json({ schema: 7 }));
    const app = createApp({ store, manifestTtlMs: 0 });
    expect((await app.request('/v1/modules/demo/wasm?caps=')).status).toBe(503);
    await store.put(LEGACY_MANIFEST_KEY, json(good));
    const res = await app.request('/v1/modules/demo/wasm?caps=');
    expect(res.status).toBe(200);
    expect(hexOf(new Uint8Array(await res.arrayBuffer()))).toBe(hexOf(DEMO.single));
  });

  it('refuses to publish on top of a bad manifest (503), leaving it as it was', async () => {
    const bad = json({ schema: 1, modules: { demo: { version: 1 } } });
    const store = await storeWith(bad);
    expect(await putInto(store)).toBe(503);
    expect(await store.get(LEGACY_MANIFEST_KEY)).toEqual(bad);
    expect(await store.list('modules/')).toEqual([]);
  });
});

/** A BAD case as module `demo`'s own record (schema 3), when the case is about one module. */
const asRecord = (manifest: unknown): unknown => {
  const demo = (manifest as { modules?: Record<string, unknown> })?.modules?.demo;
  return typeof demo === 'object' && demo !== null ? { schema: 3, name: 'demo', ...demo } : undefined;
};
const BAD_RECORDS = BAD.filter(
  ([, , field]) => field.startsWith('modules.demo') && !field.includes('encodings'),
).map(([what, m, field]) => [what, asRecord(m), field] as [string, unknown, string]);

describe("a bad module record: that module's 503 alone", () => {
  let errors: MockInstance<typeof console.error>;
  beforeEach(() => {
    errors = vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => errors.mockRestore());

  it.each([
    ...BAD_RECORDS,
    ['not JSON', '{"schema":3,', 'modules.demo'],
    [
      'the schema of a one-file manifest',
      { ...(asRecord(withDemo({})) as object), schema: 2 },
      'modules.demo.schema',
    ],
    ["another module's name", { ...(asRecord(withDemo({})) as object), name: 'big' }, 'modules.demo.name'],
  ])(
    'with %s: its routes answer 503 and the log names %j; the others serve',
    async (_what, record, field) => {
      const client = appClient(createApp({ store: await storeWithRecord(json(record)), manifestTtlMs: 0 }));
      for (const path of [
        '/v1/modules/demo',
        '/v1/modules/demo/resolve?caps=',
        '/v1/modules/demo/wasm?caps=',
      ]) {
        const req = { path };
        const answer = await client(req);
        expectSafe(answer, req, published);
        expect(answer.status, path).toBe(503);
      }
      expect(errors.mock.calls.map((c) => c.join(' ')).join('\n')).toContain(`weft: manifest: ${field}`);
      const others = await client({ path: '/v1/modules/big/wasm?caps=' });
      expect(others.status).toBe(200);
      expect(hexOf(others.body)).toBe(hexOf(BIG));
      // The listing would hide a module: it is a 503 too, until the record is repaired.
      expect((await client({ path: '/v1/modules' })).status).toBe(503);
      expect((await client({ path: `/v1/blobs/sha256-${hexOf(DEMO.single)}.wasm` })).status).toBe(200);
    },
  );

  it('refuses to publish on top of it (503), leaving it as it was', async () => {
    const bad = json({ schema: 3, name: 'demo', version: 1 });
    const store = await storeWithRecord(bad);
    expect(await putInto(store)).toBe(503);
    expect(await store.get(moduleKey('demo'))).toEqual(bad);
  });
});

describe('fuzzed manifests', () => {
  it('parsing a record or an old manifest throws only ManifestError on arbitrary bytes and arbitrary JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.jsonValue().map(json), fc.string().map(json)),
        (bytes) => {
          for (const parse of [parseLegacyManifest, (b: Uint8Array) => parseModule(b, 'demo')]) {
            try {
              parse(bytes);
            } catch (err) {
              expect(err).toBeInstanceOf(ManifestError);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  /** One structural edit of the valid manifest: a value replaced, a key removed, variants duplicated or blobs swapped. */
  const edit = fc.oneof(
    fc.record({
      kind: fc.constant('set' as const),
      path: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
      value: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom('constructor', '../x', -1, 1e308, null, [], {}),
      ),
    }),
    fc.record({
      kind: fc.constant('delete' as const),
      path: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
    }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('swap-blobs' as const), a: fc.nat(), b: fc.nat() }),
  );

  type Edit =
    | { kind: 'set'; path: number[]; value: unknown }
    | { kind: 'delete'; path: number[] }
    | { kind: 'duplicate'; at: number }
    | { kind: 'swap-blobs'; a: number; b: number };

  function apply(manifest: unknown, e: Edit): unknown {
    const copy = structuredClone(manifest) as Record<string, unknown>;
    const modules = copy?.modules as Record<string, { variants?: unknown }> | undefined;
    const list = modules?.demo?.variants;
    const variants =
      Array.isArray(list) && Array.from(list).every((v) => typeof v === 'object' && v)
        ? (list as Record<string, unknown>[])
        : [];
    if (e.kind === 'duplicate' && variants.length)
      variants.push(structuredClone(variants[e.at % variants.length]!));
    if (e.kind === 'swap-blobs' && variants.length) {
      const a = variants[e.a % variants.length]!;
      const b = variants[e.b % variants.length]!;
      [a.blob, b.blob] = [b.blob, a.blob];
    }
    if (e.kind === 'set' || e.kind === 'delete') {
      // Walk existing keys by index, so edits land inside the structure, not beside it.
      let node: Record<string, unknown> = copy;
      const path = e.path;
      for (let i = 0; i < path.length; i++) {
        const keys = Object.keys(node);
        if (keys.length === 0) break;
        const key = keys[path[i]! % keys.length]!;
        const last = i === path.length - 1 || typeof node[key] !== 'object' || node[key] === null;
        if (last) {
          if (e.kind === 'set') node[key] = e.value;
          else delete node[key];
          break;
        }
        node = node[key] as Record<string, unknown>;
      }
    }
    return copy;
  }

  const REQUESTS: Req[] = [
    { path: '/v1/modules' },
    { path: '/v1/modules/demo' },
    { path: '/v1/modules/demo/resolve?caps=shared-memory,threads,workers' },
    { path: '/v1/modules/demo/wasm?caps=' },
    { path: '/v1/modules/demo/wasm?caps=shared-memory,threads,workers' },
    {
      path: '/v1/modules/demo/wasm?caps=set-types,set-threads,set-globals,set-gc-atomics,shared-memory,threads,workers',
    },
    { path: '/v1/modules/big/wasm?caps=', headers: { 'Accept-Encoding': 'gzip' } },
    ...[...published.blobs.keys()].map((hex) => ({ path: `/v1/blobs/sha256-${hex}.wasm` })),
  ];

  it('either fail validation with a ManifestError (503) or serve only published bytes, never a 500', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
          let manifest: unknown = good;
          for (const e of edits) manifest = apply(manifest, e);
          let valid = true;
          try {
            parseLegacyManifest(json(manifest));
          } catch (err) {
            expect(err).toBeInstanceOf(ManifestError);
            valid = false;
          }
          const client = appClient(createApp({ store: await storeWith(json(manifest)), manifestTtlMs: 0 }));
          for (const req of REQUESTS) {
            const answer = await client(req);
            expectSafe(answer, req, published);
            if (!valid) expect(answer.status).toBe(503);
          }
        }),
        { numRuns: 250 },
      );
    } finally {
      errors.mockRestore();
    }
  });
});
