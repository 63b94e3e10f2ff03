import { describe, expect, it } from 'vitest';
import { missingImports, specifiersOf } from './glue-imports.js';

describe('specifiersOf', () => {
  it('finds (form by form) static, side-effect, re-export and dynamic imports and new URL(…, import.meta.url), minified too', () => {
    const text = `import{a}from"./a.js";import './b.mjs';export * from '../c.js';
      const d = await import("./d.js"); new Worker(new URL('e-worker.js', import.meta.url));
      import x from '@scope/pkg'; new URL('@oxc/binding/w.mjs', import.meta.url); new URL('https://x/y.js', import.meta.url)`;
    expect(specifiersOf(text)).toEqual([
      { specifier: './a.js', relative: true },
      { specifier: '../c.js', relative: true },
      { specifier: '@scope/pkg', relative: false },
      { specifier: './b.mjs', relative: true },
      { specifier: './d.js', relative: true },
      { specifier: 'e-worker.js', relative: true },
      { specifier: '@oxc/binding/w.mjs', relative: false },
      { specifier: 'https://x/y.js', relative: false },
    ]);
  });
});

describe('missingImports', () => {
  const files = [{ path: 'app.wasm' }, { path: 'glue/app.js' }, { path: 'glue/job.js' }];
  it('resolves each relative specifier beside its script and names the ones the bundle lacks', () => {
    const glue = [
      { path: 'glue/app.js', text: `import './job.js'; import './x.js?v=1'; import('../up.js')` },
    ];
    expect(missingImports(files, glue)).toEqual(['glue/x.js', 'up.js']);
  });
  it('keeps ../ for a file outside the bundle, and leaves .wasm names to missingReferences and folders alone', () => {
    const glue = [
      {
        path: 'glue/app.js',
        text: `import '../../out.js'; new URL('app.wasm', import.meta.url); new URL('./', import.meta.url)`,
      },
    ];
    expect(missingImports(files, glue)).toEqual(['../out.js']);
  });
});
