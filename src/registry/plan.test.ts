/** The pure half of a publish: what it refuses before anything is written, and how it orders variants. */
import { describe, expect, it } from 'vitest';
import { dataModule } from '../inspect/wasm-builder.js';
import { DeclarationError } from './declaration.js';
import { apply, type Published, planBundle, planVariants } from './plan.js';
import type { ModuleEntry, Variant } from './schema.js';

const wasm = dataModule(64, 1);
const text = (s: string) => new TextEncoder().encode(s);
const refusal = (run: () => unknown): DeclarationError => {
  try {
    run();
  } catch (e) {
    if (e instanceof DeclarationError) return e;
    throw e;
  }
  throw new Error('was not refused');
};

const variant = (name: string): Variant => ({
  name,
  model: 'single',
  requires: [],
  blob: `sha256-${name.charCodeAt(0).toString(16).padStart(2, '0').repeat(32)}`,
  size: 1,
  polyfills: [],
});
const published = (...names: string[]): Published[] =>
  names.map((n) => ({ variant: variant(n), report: {} as Published['report'] }));

describe('planBundle', () => {
  it('refuses a bundle whose glue loads a file it does not hold, naming the file', () => {
    const e = refusal(() =>
      planBundle(
        {
          wasmPath: 'app.wasm',
          files: [
            { path: 'app.wasm', bytes: wasm },
            { path: 'app.js', bytes: text('new Worker("app.worker.js"); fetch("app.wasm")') },
          ],
        },
        wasm,
        'variants[1]',
      ),
    );
    expect(e.field).toBe('variants[1].files');
    expect(e.message).toContain('app.worker.js');
  });

  it('picks the glue named like the wasm as the entry when the bundle has several', () => {
    const plan = planBundle(
      {
        wasmPath: 'app.wasm',
        files: [
          { path: 'app.wasm', bytes: wasm },
          { path: 'app.js', bytes: text('fetch("app.wasm")') },
          { path: 'other.js', bytes: text('') },
        ],
      },
      wasm,
      '',
    );
    expect(plan.entry).toBe('app.js');
  });

  it("refuses a bundle whose wasm is not the variant's bytes", () => {
    const e = refusal(() =>
      planBundle({ wasmPath: 'app.wasm', files: [{ path: 'app.wasm', bytes: dataModule(64, 2) }] }, wasm, ''),
    );
    expect(e.field).toBe('file');
  });
});

describe('planVariants', () => {
  it('refuses a publish naming a variant twice, before inspecting anything', () => {
    const v = { variant: 'a', bytes: wasm };
    expect(refusal(() => planVariants({ module: 'm', variants: [v, v] })).field).toBe('variants');
  });

  it('refuses a version that breaks the version rule', () => {
    expect(refusal(() => planVariants({ module: 'm', version: 'v 1', variants: [] })).field).toBe('version');
  });
});

describe('apply', () => {
  const existing = (): ModuleEntry => ({ version: '1.0.0', variants: [variant('a'), variant('b')] });

  it('puts new variants first and keeps a republished one in its place', () => {
    const { entry } = apply(existing(), { module: 'm', variants: [] }, published('c', 'b'));
    expect(entry.variants.map((v) => v.name)).toEqual(['c', 'a', 'b']);
  });

  it('follows a declared order, and refuses one naming a variant the module lacks', () => {
    const { entry } = apply(existing(), { module: 'm', variants: [], order: ['b', 'a'] }, []);
    expect(entry.variants.map((v) => v.name)).toEqual(['b', 'a']);
    expect(refusal(() => apply(existing(), { module: 'm', variants: [], order: ['z'] }, [])).field).toBe(
      'order',
    );
  });

  it('refuses a fallback the module does not have', () => {
    const e = refusal(() => apply(existing(), { module: 'm', variants: [], fallback: 'z' }, []));
    expect(e.field).toBe('fallback');
  });
});
