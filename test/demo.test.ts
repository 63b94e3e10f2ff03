import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planFolder } from '../src/node/description.js';
import { nodeEncoders } from '../src/node/encoders.js';
import { type PublishSetResult, publishSet } from '../src/registry/publish.js';
import { memoryStore } from '../src/registry/stores/memory.js';
import { engine, runScript } from './harness/engines.js';
import { describeWith } from './harness/require.js';

// The demo module: count the primes below n in T shares, one per thread, in four builds
// (fixtures/demo/src, assembled by scripts/build-fixtures.mjs, run by fixtures/demo/glue).
const DEMO = fileURLToPath(new URL('../fixtures/demo/', import.meta.url));
const BUILD = fileURLToPath(new URL('../scripts/build-fixtures.mjs', import.meta.url));
const RUNNER = join(DEMO, 'node-run.mjs');
const SHARED = ['--experimental-wasm-shared'];
const PRIMES_BELOW_200000 = 17984;

interface Variant {
  name: string;
  file: string;
  sha256: string;
  bytes: number;
  glue: string[];
  entry: string;
  source: string;
}
const manifest: { module: string; variants: Variant[] } = JSON.parse(
  await readFile(join(DEMO, 'weft.json'), 'utf8'),
);
const wasm = async (name: string) => new Uint8Array(await readFile(join(DEMO, `${name}.wasm`)));

describe('the demo build', () => {
  it('checks in exactly the bytes `npm run build:fixtures` produces (rebuilt into a temp dir)', async () => {
    const out = await mkdtemp(join(tmpdir(), 'weft-demo-'));
    try {
      await promisify(execFile)(process.execPath, [BUILD, '--out', out]);
      for (const { file } of manifest.variants) {
        expect(await readFile(join(out, file)), file).toEqual(await readFile(join(DEMO, file)));
      }
      expect(JSON.parse(await readFile(join(out, 'weft.json'), 'utf8'))).toEqual(manifest);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('lists set, sab, wasi-threads, single in that order, each with its true sha256, size and glue', async () => {
    expect(manifest.variants.map((v) => v.name)).toEqual(['set', 'sab', 'wasi-threads', 'single']);
    for (const v of manifest.variants) {
      const bytes = await wasm(v.name);
      expect({ sha256: v.sha256, bytes: v.bytes }).toEqual({
        sha256: createHash('sha256').update(bytes).digest('hex'),
        bytes: bytes.length,
      });
      for (const glue of v.glue) expect(existsSync(join(DEMO, glue)), glue).toBe(true);
      expect(v.entry).toBe(v.glue[0]);
    }
  });

  it('encodes the set total as a shared struct type (65 5f) that every reference names by index', async () => {
    const types = typeSection(await wasm('set'));
    expect(types.raw.subarray(0, 5)).toEqual(Uint8Array.of(0x65, 0x5f, 0x01, 0x7f, 0x01));
    expect(types.entries).toEqual([
      'shared struct (mut i32)',
      'func (i32) -> (i32)', // $is_prime
      'func (i32 i32) -> (i32)', // count
      'func () -> ((ref 0))', // n
      'func ((ref 0) i32 i32) -> ()', // work
      'func ((ref 0)) -> (i32)', // get
    ]);
    // The reader itself tells the long form of a shared heap type from the short one.
    const header = '0061736d01000000';
    const long = Buffer.from(`${header}010701600001636570`, 'hex');
    const short = Buffer.from(`${header}0106016000016570`, 'hex');
    expect(typeSection(long).entries).toEqual(['func () -> ((ref null (shared func)))']);
    expect(() => typeSection(short)).toThrow(/short-form shared heap type/);
  });

  it('agrees with a sieve in count(lo, hi) of single, sab and wasi-threads, on random ranges below 2^16', async () => {
    const below = 1 << 16;
    const sieve = primeFlags(below);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const builds: [string, WebAssembly.Imports][] = [
      ['single', {}],
      ['sab', { env: { memory } }],
      ['wasi-threads', { env: { memory }, wasi: { 'thread-spawn': () => -1 } }],
    ];
    const counts = await Promise.all(
      builds.map(async ([name, imports]) => {
        const { instance } = await WebAssembly.instantiate(await wasm(name), imports);
        return instance.exports.count as (lo: number, hi: number) => number;
      }),
    );
    fc.assert(
      fc.property(fc.nat(below), fc.nat(below), (a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        const expected = sieve.subarray(lo, hi).reduce((sum, p) => sum + p, 0);
        return counts.every((count) => count(lo, hi) === expected);
      }),
    );
  });
});

describe('publishing a build whose glue imports a file its bundle lacks', () => {
  /** The demo folder copied to a temp dir, its weft.json changed by `edit`; published into a memory store. */
  async function publishCopy(edit: (v: Variant) => Partial<Variant>): Promise<PublishSetResult> {
    const dir = await mkdtemp(join(tmpdir(), 'weft-demo-copy-'));
    try {
      await cp(DEMO, dir, { recursive: true });
      const variants = manifest.variants.map((v) => ({ ...v, ...edit(v) }));
      await writeFile(join(dir, 'weft.json'), JSON.stringify({ ...manifest, variants }));
      const plan = planFolder(dir);
      return await publishSet(memoryStore(), { ...plan, version: '1.0.0' }, nodeEncoders);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('refuses a weft.json whose glue field names the entry only, naming the files it imports', async () => {
    await expect(publishCopy((v) => (v.name === 'sab' ? { glue: ['glue/sab.js'] } : {}))).rejects.toThrow(
      /variants\[1\]\.files: the glue loads 3 files the bundle does not hold \(glue\/job\.js, glue\/platform\.js, glue\/sab-worker\.js\)/,
    );
  });

  it('refuses a glue whose worker imports a file left out (one level down the import graph)', async () => {
    const leaveOut = (v: Variant) => ({ glue: v.glue.filter((f) => f !== 'glue/platform.js') });
    await expect(publishCopy((v) => (v.name === 'wasi-threads' ? leaveOut(v) : {}))).rejects.toThrow(
      /variants\[2\]\.files: the glue loads a file the bundle does not hold \(glue\/platform\.js\)/,
    );
  });

  it('publishes the demo as weft.json lists it, every bundle starting from its glue', async () => {
    const { entry } = await publishCopy(() => ({}));
    expect(entry.variants.map((v) => v.bundle?.entry)).toEqual(manifest.variants.map((v) => v.entry));
  });
});

const node20 = engine('node20');
describeWith('Node 20', node20.bin, node20.install, () => {
  const runs = (...args: string[]) => runScript('node20', RUNNER, { args: ['run', ...args] });

  it('refuses the set build and validates the sab, wasi-threads and single builds', async () => {
    expect(await runScript('node20', RUNNER, { args: ['validate'] })).toMatchObject({
      valid: { set: false, sab: true, 'wasi-threads': true, single: true },
    });
  });

  it('counts 17984 primes below 200000 with the single build (the default n)', async () => {
    expect(await runs('single')).toMatchObject({ primes: PRIMES_BELOW_200000 });
  });

  it('counts 17984 primes below 200000 with the sab build on 3 workers', async () => {
    expect(await runs('sab', '--n', '200000', '--threads', '3')).toMatchObject({
      threads: 3,
      primes: PRIMES_BELOW_200000,
    });
  });

  it('counts 17984 primes below 200000 with the wasi-threads build in 3 threads, waiting in wasm', async () => {
    expect(await runs('wasi-threads', '--n', '200000', '--threads', '3', '--wait', 'block')).toMatchObject({
      threads: 3,
      block: true,
      primes: PRIMES_BELOW_200000,
    });
  });

  it('counts the same with the wasi-threads build when it awaits the threads as a browser page must', async () => {
    expect(await runs('wasi-threads', '--n', '200000', '--threads', '3', '--wait', 'async')).toMatchObject({
      block: false,
      primes: PRIMES_BELOW_200000,
    });
  });

  it('counts 9592 primes below 100000 on 7 uneven shares with both threaded builds', async () => {
    const [sab, wasiThreads] = await Promise.all(
      ['sab', 'wasi-threads'].map((variant) => runs(variant, '--n', '100000', '--threads', '7')),
    );
    expect([sab, wasiThreads]).toMatchObject([
      { variant: 'sab', primes: 9592 },
      { variant: 'wasi-threads', primes: 9592 },
    ]);
  });
});

const node26 = engine('node26');
describeWith('Node 26', node26.bin, node26.install, () => {
  it('refuses the set build without --experimental-wasm-shared and validates all four with it', async () => {
    expect(await runScript('node26', RUNNER, { args: ['validate'] })).toMatchObject({
      valid: { set: false, sab: true, 'wasi-threads': true, single: true },
    });
    expect(await runScript('node26', RUNNER, { args: ['validate'], flags: SHARED })).toMatchObject({
      valid: { set: true, sab: true, 'wasi-threads': true, single: true },
    });
  });

  it('counts 17984 primes below 200000 with the set build on 3 workers sharing one struct', async () => {
    const args = ['run', 'set', '--n', '200000', '--threads', '3'];
    expect(await runScript('node26', RUNNER, { args, flags: SHARED })).toMatchObject({
      node: expect.stringMatching(/^26\./),
      threads: 3,
      primes: PRIMES_BELOW_200000,
    });
  });
});

/** 1 at every prime index below `n`, else 0. */
function primeFlags(n: number): Uint8Array {
  const flags = new Uint8Array(n).fill(1, 2);
  for (let p = 2; p * p < n; p++) if (flags[p]) for (let m = p * p; m < n; m += p) flags[m] = 0;
  return flags;
}

/**
 * Reads a module's type section into one line per entry. Follows the encodings of
 * threading-models.md section 3 and throws on a value type that starts with 0x65, the short
 * form of a shared heap type that V8 and Binaryen reject.
 */
function typeSection(bytes: Uint8Array): { raw: Uint8Array; entries: string[] } {
  let at = 8;
  const byte = () => bytes[at++]!;
  const u32 = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = byte();
      value |= (b & 0x7f) << shift;
      if (b < 0x80) return value >>> 0;
    }
  };
  const NUM = new Map([
    [0x7f, 'i32'],
    [0x7e, 'i64'],
    [0x7d, 'f32'],
    [0x7c, 'f64'],
    [0x7b, 'v128'],
  ]);
  const ABS = new Map([
    [0x70, 'func'],
    [0x6f, 'extern'],
    [0x6e, 'any'],
    [0x6d, 'eq'],
    [0x6b, 'struct'],
  ]);
  const heap = (): string => {
    if (bytes[at] === 0x65) {
      at++;
      return `(shared ${ABS.get(byte()) ?? '?'})`;
    }
    return ABS.get(bytes[at]!) ? ABS.get(byte())! : String(u32());
  };
  const valtype = (): string => {
    const b = byte();
    if (NUM.has(b)) return NUM.get(b)!;
    if (b === 0x63) return `(ref null ${heap()})`;
    if (b === 0x64) return `(ref ${heap()})`;
    if (b === 0x65) throw new Error(`short-form shared heap type at byte ${at - 1}`);
    if (ABS.has(b)) return `${ABS.get(b)}ref`;
    throw new Error(`unknown value type 0x${b.toString(16)} at byte ${at - 1}`);
  };
  const vec = (item: () => string) => Array.from({ length: u32() }, item).join(' ');
  const field = () => {
    const type = valtype();
    return byte() ? `(mut ${type})` : type;
  };
  for (let id = byte(); id !== 1; id = byte()) {
    if (at >= bytes.length) throw new Error('no type section');
    at += u32();
  }
  const end = u32() + at;
  const count = u32();
  const raw = bytes.subarray(at, end);
  const entries = Array.from({ length: count }, () => {
    let kind = byte();
    const shared = kind === 0x65 ? 'shared ' : '';
    if (shared) kind = byte();
    if (kind === 0x60) return `${shared}func (${vec(valtype)}) -> (${vec(valtype)})`;
    if (kind === 0x5f) return `${shared}struct ${vec(field)}`;
    throw new Error(`unexpected composite type 0x${kind.toString(16)}`);
  });
  return { raw, entries };
}
