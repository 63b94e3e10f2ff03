import * as wfd from 'wasm-feature-detect';
import type { Capability } from '../profile/caps.js';

/** wasm-feature-detect's detectors under the contract's names (its own `threads` is superseded by ours). */
export const FEATURE_DETECTORS = {
  simd: wfd.simd,
  'relaxed-simd': wfd.relaxedSimd,
  'bulk-memory': wfd.bulkMemory,
  exceptions: wfd.exceptions,
  exnref: wfd.exceptionsFinal,
  gc: wfd.gc,
  'tail-call': wfd.tailCall,
  memory64: wfd.memory64,
  'multi-memory': wfd.multiMemory,
  'reference-types': wfd.referenceTypes,
  'extended-const': wfd.extendedConst,
  'multi-value': wfd.multiValue,
  'mutable-globals': wfd.mutableGlobals,
  'sign-ext': wfd.signExtensions,
  'sat-float-to-int': wfd.saturatedFloatToInt,
  bigint: wfd.bigInt,
  jspi: wfd.jspi,
  'js-string-builtins': wfd.jsStringBuiltins,
  'typed-funcref': wfd.typedFunctionReferences,
  'wide-arithmetic': wfd.wideArithmetic,
  'streaming-compilation': wfd.streamingCompilation,
  'type-reflection': wfd.typeReflection,
} satisfies Partial<Record<Capability, () => Promise<boolean>>>;
