import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import * as wfd from 'wasm-feature-detect';
import { BASELINE, BASELINE_CAPS } from '../scripts/probes/baseline.js';
import {
  captureDetector,
  captureFeatures,
  FEATURE_MEMBERS,
  type FeatureCap,
  WFD_VERSION,
} from '../scripts/probes/features.js';
import { moduleFields, renderProbeBytes } from '../scripts/probes/render.js';
import { CAPABILITIES } from '../src/profile/caps.js';
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

describe("wasm-feature-detect's detectors, captured", () => {
  it('src/detect/probe-bytes.ts is what `npm run gen:probes` writes now from the installed wasm-feature-detect', () => {
    const installed = JSON.parse(
      readFileSync(new URL('../node_modules/wasm-feature-detect/package.json', import.meta.url), 'utf8'),
    ).version;
    const pinned = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
      .devDependencies['wasm-feature-detect'];
    expect(pinned, 'pin wasm-feature-detect exactly: the probe ships its modules').toBe(installed);
    expect(WFD_VERSION).toBe(installed);
    const current = readFileSync(new URL('../src/detect/probe-bytes.ts', import.meta.url), 'utf8');
    expect(current, 'src/detect/probe-bytes.ts is stale: run npm run gen:probes').toBe(renderProbeBytes());
    expect(current).toContain(`wasm-feature-detect ${installed}`);
  });

  it('cover every wasm-feature-detect detector except its threads (weft has its own)', () => {
    expect(Object.values(WFD_NAMES).sort()).toEqual(
      Object.keys(wfd)
        .filter((n) => n !== 'threads')
        .sort(),
    );
  });

  // The baseline's capabilities are answered by the baseline module instead (below).
  const shipped = Object.entries(captureFeatures()).filter(
    ([cap]) => !(BASELINE_CAPS as readonly string[]).includes(cap),
  );
  it.each(shipped)(
    '%s is byte for byte the module wasm-feature-detect checks when awaited, checked the same way',
    async (cap, src) => {
      const seen = await captured(WFD_NAMES[cap as FeatureCap]);
      expect(seen).toEqual([{ how: src.how, bytes: Buffer.from(src.probe).toString('hex') }]);
    },
  );

  it('a detector that hands its module over only after an await is seen as handing none, and WebAssembly is restored', () => {
    const late = async () => {
      await 0;
      return WebAssembly.validate(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    };
    expect(captureDetector(late)).toEqual([]);
    expect(WebAssembly.validate).toBe(real.validate);
    expect(WebAssembly.Module).toBe(real.Module);
  });

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

describe('the baseline module', () => {
  it('answers exactly its capabilities (validated: +; bigint instantiated: =) and, on an engine that has them all, validates and passes a BigInt through', () => {
    const fields = moduleFields();
    expect(CAPABILITIES.filter((_, i) => fields[i] === '+' || fields[i] === '=')).toEqual([...BASELINE_CAPS]);
    expect(CAPABILITIES.filter((_, i) => fields[i] === '=')).toEqual(['bigint']);
    expect(WebAssembly.validate(BASELINE.slice())).toBe(true);
    const { b } = new WebAssembly.Instance(new WebAssembly.Module(BASELINE.slice()), {}).exports as {
      b: (n: bigint) => bigint;
    };
    expect(b(42n)).toBe(42n);
  });
});
