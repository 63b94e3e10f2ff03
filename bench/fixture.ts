/**
 * The bench's ~100 KB variant: a valid single-threaded module (one memory, one exported function,
 * one active data segment of pseudo-random bytes from a 16-symbol alphabet, so it compresses about
 * as well as real code), written with the tests' wasm builder so the bench needs no assembler.
 */
import {
  body,
  code,
  datas,
  exports,
  func,
  functions,
  limits,
  memories,
  op,
  t,
  types,
  u32,
  wasm,
} from '../src/inspect/wasm-builder.js';

/** A module of about `size` bytes whose export `size()` returns the data segment's length. */
export function bigWasm(size = 100 * 1024): Uint8Array {
  const dataLength = size - 64;
  const data: number[] = new Array(dataLength);
  let x = 0x9e3779b9;
  for (let i = 0; i < dataLength; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = 0x40 | ((x >>> 0) & 0x0f);
  }
  const pages = Math.ceil(dataLength / 65536);
  return wasm(
    types(func([], [[t.i32]])),
    functions(0),
    memories(limits(0x00, pages)),
    exports(['size', 'func', 0]),
    code(body([], op.i32Const(dataLength))),
    // One active segment at offset 0 of memory 0: flags 0, `i32.const 0 end`, the bytes.
    datas([0x00, ...op.i32Const(0), ...op.end, ...u32(dataLength), ...data]),
  );
}
