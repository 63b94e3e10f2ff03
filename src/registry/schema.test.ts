/** Records are validated on load with an error that names the field, whatever is wrong with them. */
import { describe, expect, it } from 'vitest';
import { parseBlobMeta, parseBundle, parseModule, serializeModule } from './records.js';
import { ManifestError, type ModuleEntry, validateEntry } from './schema.js';

const BLOB = `sha256-${'ab'.repeat(32)}`;
const entry = (): ModuleEntry => ({
  version: '1.0.0',
  variants: [{ name: 'single', model: 'single', requires: [], blob: BLOB, size: 10, polyfills: [] }],
});
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const fieldOf = (run: () => unknown): string => {
  try {
    run();
  } catch (e) {
    if (e instanceof ManifestError) return e.field;
    throw e;
  }
  throw new Error('was accepted');
};

describe('schema', () => {
  it('round-trips a valid module record', () => {
    expect(parseModule(serializeModule('demo', entry()), 'demo')).toEqual(entry());
  });

  it("names a variant's bad field by its path", () => {
    const bad = { schema: 3, name: 'demo', ...entry() };
    bad.variants[0]!.blob = 'sha256-xyz';
    expect(fieldOf(() => parseModule(json(bad), 'demo'))).toBe('modules.demo.variants[0].blob');
  });

  it('names a record stored under another name, and one of another schema', () => {
    expect(fieldOf(() => parseModule(serializeModule('other', entry()), 'demo'))).toBe('modules.demo.name');
    expect(fieldOf(() => parseModule(json({ schema: 2, name: 'demo', ...entry() }), 'demo'))).toBe(
      'modules.demo.schema',
    );
  });

  it('refuses duplicate variants and a fallback that names none of them', () => {
    const twice = entry();
    twice.variants.push({ ...twice.variants[0]! });
    expect(fieldOf(() => validateEntry(twice, 'demo'))).toBe('modules.demo.variants[1].name');
    expect(fieldOf(() => validateEntry({ ...entry(), fallback: 'gone' }, 'demo'))).toBe(
      'modules.demo.fallback',
    );
  });

  it("names a blob record's copy with a bad hash", () => {
    const meta = { schema: 3, size: 10, encodings: { br: { size: 4, sha256: 'nothex' } } };
    expect(fieldOf(() => parseBlobMeta(json(meta), BLOB))).toBe(`blobs.${BLOB}.encodings.br.sha256`);
  });

  it("names a variant's or a bundle file's pieces that do not fit its size, and takes a record without them", () => {
    const pieces = btoa(String.fromCharCode(...new Uint8Array(3 * 32)));
    const big = { ...entry().variants[0]!, size: 2.5 * 1024 * 1024 };
    expect(() => validateEntry({ ...entry(), variants: [{ ...big, pieces }] }, 'demo')).not.toThrow();
    expect(() => validateEntry({ ...entry(), variants: [big] }, 'demo')).not.toThrow();
    for (const bad of [
      { ...big, size: 3.5 * 1024 * 1024 },
      { ...big, size: 1024 * 1024 },
      { ...big, size: 10 },
    ])
      expect(fieldOf(() => validateEntry({ ...entry(), variants: [{ ...bad, pieces }] }, 'demo'))).toBe(
        'modules.demo.variants[0].pieces',
      );
    const id = 'c'.repeat(32);
    const wasm = { path: 'a.wasm', role: 'wasm', size: 2.5 * 1024 * 1024, sha256: 'ab'.repeat(32), pieces };
    const data = { path: 'a.data', role: 'data', size: 10, sha256: 'cd'.repeat(32), pieces };
    expect(parseBundle(json({ schema: 3, id, entry: 'a.wasm', files: [wasm] }), id).files[0]!.pieces).toBe(
      pieces,
    );
    expect(
      fieldOf(() => parseBundle(json({ schema: 3, id, entry: 'a.wasm', files: [wasm, data] }), id)),
    ).toBe(`bundles.${id}.files[1].pieces`);
  });

  it('refuses a bundle record without exactly one wasm file', () => {
    const id = 'c'.repeat(32);
    const file = (path: string) => ({ path, role: 'glue', size: 1, sha256: 'ab'.repeat(32) });
    const bundle = { schema: 3, id, entry: 'a.js', files: [file('a.js')] };
    expect(fieldOf(() => parseBundle(json(bundle), id))).toBe(`bundles.${id}.files`);
  });
});
