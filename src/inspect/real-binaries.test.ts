import binaryen from 'binaryen';
import { beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import type { Capability, ThreadModel } from '../profile/caps.js';
import { inspect } from './index.js';

/** Assembles WAT with binaryen, every feature on (it reads and writes shared types, struct atomics, pause). */
function binaryenWasm(wat: string): Uint8Array {
  const parse = binaryen.parseText as (text: string, features?: binaryen.Features) => binaryen.Module;
  const module = parse(wat, binaryen.Features.All);
  try {
    module.setFeatures(binaryen.Features.All);
    if (!module.validate()) throw new Error('binaryen rejected the test module');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

let wabt: Awaited<ReturnType<typeof wabtInit>>;
beforeAll(async () => {
  wabt = await wabtInit();
});

/**
 * Assembles WAT with wabt (the 2.0 spec plus threads, legacy exceptions, tail calls). wabt.js
 * validates without the features it parsed with, so this Node's own engine validates instead.
 */
function wabtWasm(wat: string): Uint8Array {
  const module = wabt.parseWat('test.wat', wat, { threads: true, exceptions: true, tail_call: true });
  try {
    const bytes = module.toBinary({}).buffer;
    if (!WebAssembly.validate(new Uint8Array(bytes))) throw new Error('this Node rejects the test module');
    return bytes;
  } finally {
    module.destroy();
  }
}

const CASES: [string, 'binaryen' | 'wabt', string, ThreadModel, Capability[]][] = [
  [
    'a SIMD kernel',
    'wabt',
    '(module (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1))))',
    'single',
    ['simd'],
  ],
  [
    'relaxed SIMD fused multiply-add',
    'binaryen',
    '(module (func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))))',
    'single',
    ['simd', 'relaxed-simd'],
  ],
  [
    'bulk memory with a passive segment',
    'wabt',
    `(module (memory 1) (data $d "hi")
      (func (memory.init $d (i32.const 0) (i32.const 0) (i32.const 2)) (data.drop $d)
            (memory.copy (i32.const 0) (i32.const 1) (i32.const 1))))`,
    'single',
    ['bulk-memory'],
  ],
  [
    'legacy exception handling (try/catch)',
    'wabt',
    '(module (tag $e (param i32)) (func (try (do (throw $e (i32.const 1))) (catch $e drop))))',
    'single',
    ['exceptions'],
  ],
  [
    'exnref exception handling (try_table, throw_ref)',
    'binaryen',
    `(module (tag $e (param i32))
      (func (param i32) (block $l (result exnref) (try_table (catch_all_ref $l) (throw $e (local.get 0))) (unreachable)) (throw_ref)))`,
    'single',
    ['exceptions', 'exnref'],
  ],
  [
    'GC structs and casts',
    'binaryen',
    `(module (type $p (struct (field (mut i32)))) (type $a (array (mut i8)))
      (func (export "f") (param anyref) (result i32)
        (struct.get $p 0 (ref.cast (ref $p) (local.get 0))))
      (func (result (ref $a)) (array.new_default $a (i32.const 4))))`,
    'single',
    ['gc', 'typed-funcref'],
  ],
  [
    'a tail-recursive loop',
    'wabt',
    '(module (func $f (param i32) (return_call $f (local.get 0))))',
    'single',
    ['tail-call'],
  ],
  [
    'call_ref through a typed function reference',
    'binaryen',
    `(module (type $t (func)) (func $f (type $t)) (elem declare func $f)
      (func (call_ref $t (ref.func $f))))`,
    'single',
    ['typed-funcref', 'reference-types'],
  ],
  [
    'a 64-bit memory',
    'binaryen',
    '(module (memory i64 1) (func (result i32) (i32.load offset=4294967296 (i64.const 0))))',
    'single',
    ['memory64'],
  ],
  [
    'two memories',
    'binaryen',
    '(module (memory $a 1) (memory $b 1) (func (result i32) (i32.load $b (i32.const 0))))',
    'single',
    ['multi-memory'],
  ],
  [
    'an extended constant expression',
    'binaryen',
    '(module (global i32 (i32.add (i32.const 1) (i32.const 2))))',
    'single',
    ['extended-const'],
  ],
  [
    'sign extension, saturating truncation, multiple results',
    'wabt',
    `(module (func (export "f") (param i32 f32) (result i32 i32)
      (i32.extend8_s (local.get 0)) (i32.trunc_sat_f32_s (local.get 1))))`,
    'single',
    ['sign-ext', 'sat-float-to-int', 'multi-value'],
  ],
  [
    'an exported i64 function and an imported mutable global',
    'wabt',
    '(module (import "env" "sp" (global (mut i32))) (func (export "f") (param i64)))',
    'single',
    ['mutable-globals', 'bigint'],
  ],
  [
    'a pthreads-style build: imported shared memory and atomics',
    'wabt',
    `(module (import "env" "memory" (memory 1 16384 shared))
      (func (export "inc") (param i32) (result i32) (i32.atomic.rmw.add (local.get 0) (i32.const 1)))
      (func (export "wait") (param i32) (result i32) (memory.atomic.wait32 (local.get 0) (i32.const 0) (i64.const -1))))`,
    'sab',
    ['shared-memory', 'threads'],
  ],
  [
    'a wasi-threads build',
    'wabt',
    `(module
      (import "wasi" "thread-spawn" (func (param i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
      (import "env" "memory" (memory 2 16384 shared))
      (func (export "wasi_thread_start") (param i32 i32) (drop (i32.atomic.load (local.get 1))))
      (func (export "_start") (drop (call 0 (i32.const 0)))))`,
    'wasi-threads',
    ['shared-memory', 'wasi-threads'],
  ],
  [
    'a shared-everything counter: shared struct, struct.atomic.rmw.add acqrel, pause',
    'binaryen',
    `(module (type $c (shared (struct (field (mut i32)))))
      (func (export "new") (result (ref $c)) (struct.new $c (i32.const 0)))
      (func (export "add") (param (ref null $c)) (result i32)
        (pause)
        (struct.atomic.rmw.add acqrel acqrel $c 0 (local.get 0) (i32.const 1))))`,
    'shared-everything',
    ['set-types', 'set-gc-atomics', 'set-pause', 'set-threads', 'gc', 'typed-funcref'],
  ],
];

describe('binaries from real assemblers (wabt, binaryen) classify as the features they use', () => {
  it.each(CASES)('%s (%s)', (_what, tool, wat, model, requires) => {
    const bytes = tool === 'binaryen' ? binaryenWasm(wat) : wabtWasm(wat);
    const report = inspect(bytes);
    expect(report.model).toBe(model);
    expect(report.requires).toEqual(expect.arrayContaining(requires));
  });

  it('requires exactly what the shared-everything counter uses', () => {
    const report = inspect(binaryenWasm(CASES.at(-1)![2]));
    expect(report.requires).toEqual([
      'set-types',
      'set-gc-atomics',
      'set-pause',
      'set-threads',
      'gc',
      'typed-funcref',
    ]);
  });
});
