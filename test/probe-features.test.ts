import { afterEach, describe, expect, it } from 'vitest';
import * as wfd from 'wasm-feature-detect';
import { FEATURE_MEMBERS } from '../src/detect/features.js';
import { FEATURE_SOURCES } from '../src/detect/probes/features.js';
import { WFD_NAMES } from './fixtures/wfd-names.js';

const DETECTORS: Record<string, () => Promise<boolean>> = { ...wfd };

type Api = 'validate' | 'compile' | 'run';
const real = {
  validate: WebAssembly.validate,
  Module: WebAssembly.Module,
  instantiate: WebAssembly.instantiate,
};
afterEach(() => Object.assign(WebAssembly, real));

/** Runs one wasm-feature-detect detector and records every module it hands to the engine, and how. */
async function captured(name: keyof typeof wfd): Promise<{ how: Api; bytes: string }[]> {
  const seen: { how: Api; bytes: string }[] = [];
  const hex = (b: BufferSource) => Buffer.from(b as Uint8Array).toString('hex');
  Object.assign(WebAssembly, {
    validate: (b: BufferSource) => {
      seen.push({ how: 'validate', bytes: hex(b) });
      return real.validate(b);
    },
    Module: function Module(b: BufferSource, o?: unknown) {
      seen.push({ how: 'compile', bytes: hex(b) });
      return new (real.Module as unknown as new (b: BufferSource, o?: unknown) => object)(b, o);
    },
    instantiate: (b: BufferSource, ...rest: unknown[]) => {
      seen.push({ how: 'run', bytes: hex(b) });
      return (real.instantiate as (...a: unknown[]) => unknown)(b, ...rest);
    },
  });
  await DETECTORS[name]!();
  return seen;
}

describe("wasm-feature-detect's detectors, re-encoded", () => {
  it('cover every wasm-feature-detect detector except its threads (weft has its own)', () => {
    expect(Object.values(WFD_NAMES).sort()).toEqual(
      Object.keys(wfd)
        .filter((n) => n !== 'threads')
        .sort(),
    );
  });

  it.each(Object.entries(FEATURE_SOURCES))(
    '%s is byte for byte the module wasm-feature-detect checks, checked the same way',
    async (cap, src) => {
      const seen = await captured(WFD_NAMES[cap as keyof typeof FEATURE_SOURCES]);
      expect(seen).toEqual([{ how: src.how, bytes: Buffer.from(src.probe).toString('hex') }]);
    },
  );

  it.each(Object.entries(FEATURE_MEMBERS))(
    '%s hands no module to the engine: it asks whether WebAssembly.%s exists',
    async (cap, member) => {
      expect(await captured(WFD_NAMES[cap as keyof typeof FEATURE_MEMBERS])).toEqual([]);
      const saved = Object.getOwnPropertyDescriptor(WebAssembly, member);
      try {
        Object.defineProperty(WebAssembly, member, { value: () => {}, configurable: true });
        expect(await DETECTORS[WFD_NAMES[cap as keyof typeof FEATURE_MEMBERS]]!()).toBe(true);
        delete (WebAssembly as unknown as Record<string, unknown>)[member];
        expect(await DETECTORS[WFD_NAMES[cap as keyof typeof FEATURE_MEMBERS]]!()).toBe(false);
      } finally {
        if (saved) Object.defineProperty(WebAssembly, member, saved);
      }
    },
  );
});
