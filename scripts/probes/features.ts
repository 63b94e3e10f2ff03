/**
 * wasm-feature-detect's detector modules, captured from the installed package (a devDependency
 * pinned exactly) rather than re-encoded: `npm run gen:probes` calls each detector with the engine's
 * entry points intercepted and writes the module it hands over into src/detect/probe-bytes.ts, so an
 * upstream change arrives as a regenerated, reviewed diff. `how` is what the probe does with it, the
 * same as wasm-feature-detect does: `validate`, `compile` (`new WebAssembly.Module`) or `run`
 * (`WebAssembly.instantiate`; the probe instantiates js-string-builtins, and bigint with the
 * baseline module: see baseline.ts and src/detect/features.ts). The detectors that need no module
 * are FEATURE_MEMBERS.
 */
import { createRequire } from 'node:module';
import * as wfd from 'wasm-feature-detect';
import { HEADER } from './encoder.js';

export type FeatureHow = 'validate' | 'compile' | 'run';

/** wasm-feature-detect's export for each capability whose module weft ships (its `threads` is superseded). */
export const FEATURE_DETECTORS = {
  simd: 'simd',
  'relaxed-simd': 'relaxedSimd',
  'bulk-memory': 'bulkMemory',
  exceptions: 'exceptions',
  exnref: 'exceptionsFinal',
  gc: 'gc',
  'tail-call': 'tailCall',
  memory64: 'memory64',
  'multi-memory': 'multiMemory',
  'reference-types': 'referenceTypes',
  'extended-const': 'extendedConst',
  'multi-value': 'multiValue',
  'mutable-globals': 'mutableGlobals',
  'sign-ext': 'signExtensions',
  'sat-float-to-int': 'saturatedFloatToInt',
  bigint: 'bigInt',
  'js-string-builtins': 'jsStringBuiltins',
  'typed-funcref': 'typedFunctionReferences',
  'wide-arithmetic': 'wideArithmetic',
} as const satisfies Record<string, keyof typeof wfd>;

export type FeatureCap = keyof typeof FEATURE_DETECTORS;

/** wasm-feature-detect's detectors that need no module: a member of the `WebAssembly` namespace. */
export const FEATURE_MEMBERS = {
  jspi: 'Suspending',
  'streaming-compilation': 'compileStreaming',
  'type-reflection': 'Function',
} as const;
export interface FeatureSource {
  how: FeatureHow;
  probe: Uint8Array;
}

/** The installed wasm-feature-detect's version: named in the generated file. */
export const WFD_VERSION: string = createRequire(import.meta.url)('wasm-feature-detect/package.json').version;

/** Thrown by the interceptors so nothing is compiled while capturing. */
const CAPTURED = Symbol('captured');

/**
 * The modules one detector hands to the engine, and how. Synchronous: every 1.9.0 detector hands its
 * module over before its first `await`; one that stops doing so is caught by `captureFeatures`.
 */
export function captureDetector(detector: () => Promise<unknown>): FeatureSource[] {
  const seen: FeatureSource[] = [];
  const record = (how: FeatureHow, bytes: BufferSource) => {
    const view = ArrayBuffer.isView(bytes)
      ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      : new Uint8Array(bytes);
    seen.push({ how, probe: view.slice() });
    throw CAPTURED;
  };
  const real = {
    validate: WebAssembly.validate,
    Module: WebAssembly.Module,
    instantiate: WebAssembly.instantiate,
  };
  Object.assign(WebAssembly, {
    validate: (b: BufferSource) => record('validate', b),
    Module: function Module(b: BufferSource) {
      record('compile', b);
    },
    instantiate: (b: BufferSource) => record('run', b),
  });
  try {
    detector().catch(() => {});
  } catch (e) {
    if (e !== CAPTURED) throw e;
  } finally {
    Object.assign(WebAssembly, real);
  }
  return seen;
}

/** Every detector's module, captured; throws when one hands over no module, several, or a foreign header. */
export function captureFeatures(): Record<FeatureCap, FeatureSource> {
  const detectors: Record<string, () => Promise<unknown>> = { ...wfd };
  const out = {} as Record<FeatureCap, FeatureSource>;
  for (const [cap, name] of Object.entries(FEATURE_DETECTORS) as [FeatureCap, string][]) {
    const seen = captureDetector(detectors[name]!);
    if (seen.length !== 1) {
      throw new Error(
        `wasm-feature-detect ${WFD_VERSION} ${name} handed ${seen.length} modules to the engine, not 1`,
      );
    }
    const src = seen[0]!;
    if (!HEADER.every((b, i) => src.probe[i] === b)) {
      throw new Error(`wasm-feature-detect ${WFD_VERSION} ${name}: not a version-1 module header`);
    }
    out[cap] = src;
  }
  return out;
}
