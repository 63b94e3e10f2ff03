/**
 * What weft reads in Emscripten glue, on real glue texts (Debian emcc 3.1.6 classic and
 * -sEXPORT_ES6, onnxruntime-web 1.30 and 1.16, ffmpeg.wasm 0.12 cores) and on the export forms
 * a glue may end with; and how weft's `Module` fields compose with a caller's `moduleArgs`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeModuleArgs, type WeftContext, type WeftModuleArgs } from '../src/emscripten/compose.js';
import { glueShape, resolveRelativeUrls, scriptsOf, workerKind } from '../src/emscripten/glue.js';
import { moduleShape } from '../src/emscripten/lexer.js';
import { emccBuilds, realBuild } from './harness/builds.js';

describe('moduleShape: ES module or script, and what it exports', () => {
  it.each([
    ['export default createApp;', true, ['default']],
    ['var f=1;export { init as default, initSync };', true, ['default', 'initSync']],
    ['export {f as default}', true, ['default']],
    ['async function f(){return moduleRtn}export default f;', true, ['default']],
    ['export default function (a) { return a }', true, ['default']],
    ['export async function init() {}\nexport const x = 1;', true, ['init', 'x']],
    ["import x from './y.js';\nx();", true, []],
    ['export * from "./z.js"', true, []],
    ['var s = "export default f"; // export default g', false, []],
    ['/* export default f */ var t = `export $' + '{"default"} f`;', false, []],
    ['var re = /["\'`]export default/; f(re);', false, []],
    ['var o = { export: 1 }; o.export = 2;', false, []],
    ['var u = import.meta.url; import("./a.js");', false, []],
    ['module.exports = createApp;', false, []],
  ])('%s', (text, esm, exports) => {
    expect(moduleShape(text)).toEqual({ esm, exports });
  });
});

const emcc = emccBuilds();
const real = (spec: string, file: string) => {
  const path = realBuild(spec, file);
  return path ? readFileSync(path, 'utf8') : null;
};

describe('glueShape on real glue', () => {
  const cases: [string, string | null, { esm: boolean; exports: string[]; selfWorker: boolean }][] = [
    [
      'emcc 3.1.6 classic',
      emcc && readFileSync(join(emcc, 'app/pthreads/app.js'), 'utf8'),
      { esm: false, exports: [], selfWorker: false },
    ],
    [
      'emcc 3.1.6 -sEXPORT_ES6',
      emcc && readFileSync(join(emcc, 'es6/pthreads/app.mjs'), 'utf8'),
      { esm: true, exports: ['default'], selfWorker: false },
    ],
    [
      'onnxruntime-web 1.30 .mjs',
      real('onnxruntime-web@1.30.0', 'dist/ort-wasm-simd-threaded.mjs'),
      { esm: true, exports: ['default'], selfWorker: true },
    ],
    [
      'onnxruntime-web 1.16 classic',
      real('onnxruntime-web@1.16.3', 'dist/ort-wasm-threaded.js'),
      { esm: false, exports: [], selfWorker: false },
    ],
    [
      'ffmpeg core-mt 0.12 esm',
      real('@ffmpeg/core-mt@0.12.10', 'dist/esm/ffmpeg-core.js'),
      { esm: true, exports: ['default'], selfWorker: false },
    ],
  ];
  it.each(cases)('%s', (_name, text, shape) => {
    // Every file is fetched by `npm run fixtures:real` and emcc is required, as in every real-build test.
    expect(text, 'run npm run fixtures:real and install emcc').not.toBeNull();
    expect(glueShape(text!)).toEqual(shape);
  });

  it('tells a worker script from an ES module worker', () => {
    expect(emcc).not.toBeNull();
    expect(workerKind(readFileSync(join(emcc!, 'es6/pthreads/app.worker.js'), 'utf8'))).toBe('script');
    expect(workerKind(real('@ffmpeg/core-mt@0.12.10', 'dist/esm/ffmpeg-core.worker.js')!)).toBe('script');
    expect(workerKind(real('onnxruntime-web@1.30.0', 'dist/ort-wasm-simd-threaded.mjs')!)).toBe('module');
  });
});

describe('scriptsOf: the scripts a glue starts or loads, from the glue and the files', () => {
  const files = [
    { path: 'app.js', role: 'glue' },
    { path: 'app.wasm', role: 'wasm' },
    { path: 'pthread-main.js', role: 'glue' },
    { path: 'app.worker.js', role: 'worker' },
    { path: 'unrelated.js', role: 'glue' },
    { path: 'app.data', role: 'data' },
  ];
  it('takes the published workers and the scripts the glue names, not the rest', () => {
    const glue = 'var w = new Worker(locateFile("pthread-main.js")); fetch("app.data");';
    expect(scriptsOf(glue, 'app.js', files).map((f) => f.path)).toEqual(['pthread-main.js', 'app.worker.js']);
  });
});

describe('resolveRelativeUrls', () => {
  it("resolves ORT 1.30's wasm in the bundle and keeps its self-worker's import.meta.url", () => {
    const glue = real('onnxruntime-web@1.30.0', 'dist/ort-wasm-simd-threaded.mjs')!;
    const out = resolveRelativeUrls(glue, 'https://w.example/v1/bundles/b/');
    expect(out).toContain('new URL("ort-wasm-simd-threaded.wasm","https://w.example/v1/bundles/b/")');
    expect(out).toContain('new Worker(new URL(import.meta.url),{type:"module"');
    expect(out).toContain('ea=import.meta.url');
  });

  it("resolves emcc 3.1.6 ES6 glue's wasm and worker script in the bundle", () => {
    const glue = readFileSync(join(emcc!, 'es6/pthreads/app.mjs'), 'utf8');
    const out = resolveRelativeUrls(glue, 'B/');
    expect(out).toContain('new URL("app.wasm","B/")');
    expect(out).toContain('new URL("app.worker.js","B/")');
    expect(out).toContain('var _scriptDir = import.meta.url');
  });
});

describe('composeModuleArgs', () => {
  const module = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  const weft: WeftModuleArgs = {
    locateFile: (p) => `weft:${p}`,
    instantiateWasm: () => ({ weft: true }),
    mainScriptUrlOrBlob: 'blob:glue',
  };
  const context = {
    variant: { name: 'v' },
    threads: true,
    module,
    file: (p: string) => (p === 'app.worker.js' ? 'blob:worker' : undefined),
  } as unknown as WeftContext;
  const refused: Error[] = [];
  const compose = (args: Parameters<typeof composeModuleArgs>[2]) =>
    composeModuleArgs(weft, context, args, (e) => refused.push(e));

  it("supplies weft's fields where the caller gives none, and keeps the caller's others", () => {
    const print = () => {};
    const out = compose({ print, numThreads: 4 });
    expect(out).toMatchObject({ print, numThreads: 4, mainScriptUrlOrBlob: 'blob:glue' });
    expect((out.locateFile as (p: string) => string)('x.data')).toBe('weft:x.data');
    expect(out.instantiateWasm).toBe(weft.instantiateWasm);
  });

  it("answers the bundle's files itself and delegates other paths to the caller's locateFile", () => {
    const out = compose({ locateFile: (p: string, prefix: string) => `mine:${prefix}${p}` });
    const locate = out.locateFile as (p: string, prefix: string) => string;
    expect(locate('app.worker.js', '')).toBe('blob:worker');
    expect(locate('model.data', 'pre/')).toBe('mine:pre/model.data');
  });

  it("hands a caller's instantiateWasm the verified module and refuses another", async () => {
    const seen: unknown[] = [];
    const out = compose({
      instantiateWasm: (_imports: unknown, receive: (i: unknown, m?: unknown) => void, m: unknown) => {
        seen.push(m);
        receive('instance', m);
        receive('instance', new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])));
        return {};
      },
    });
    const received: unknown[] = [];
    (out.instantiateWasm as (i: object, r: (i: unknown, m: unknown) => void) => void)({}, (i, m) =>
      received.push([i, m]),
    );
    expect(seen).toEqual([module]);
    expect(received).toEqual([['instance', module]]);
    expect(refused.map((e) => e.message)).toEqual([
      "the caller's instantiateWasm reported another module than the verified one",
    ]);
  });

  it("a caller's mainScriptUrlOrBlob is theirs; a function builds on weft's fields", () => {
    expect(compose({ mainScriptUrlOrBlob: 'mine' }).mainScriptUrlOrBlob).toBe('mine');
    const out = compose((w, c) => ({
      ...w,
      mainScriptUrlOrBlob: `${w.mainScriptUrlOrBlob}#x`,
      n: c.threads ? 4 : 1,
    }));
    expect(out).toMatchObject({ mainScriptUrlOrBlob: 'blob:glue#x', n: 4, locateFile: weft.locateFile });
  });
});
