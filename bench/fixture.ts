/**
 * The bench's ~100 KB variant: a valid single-threaded module (one memory, one exported function,
 * one active data segment of pseudo-random bytes from a 16-symbol alphabet, so it compresses about
 * as well as real code), encoded by hand so the bench needs no assembler.
 */
import { u32 } from '../src/detect/probes/encoder.js';

const section = (id: number, body: number[] | Uint8Array): Uint8Array =>
  Uint8Array.from([id, ...u32(body.length), ...body]);

/** A module of about `size` bytes whose export `size()` returns the data segment's length. */
export function bigWasm(size = 100 * 1024): Uint8Array {
  const dataLength = size - 64;
  const data = new Uint8Array(dataLength);
  let x = 0x9e3779b9;
  for (let i = 0; i < dataLength; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = 0x40 | ((x >>> 0) & 0x0f);
  }
  const pages = Math.ceil(dataLength / 65536);
  const body = [0x00, 0x41, ...signedLeb(dataLength), 0x0b];
  const segmentHead = [0x00, 0x41, 0x00, 0x0b, ...u32(dataLength)];
  const dataSection = new Uint8Array(1 + segmentHead.length + dataLength);
  dataSection.set([0x01, ...segmentHead]);
  dataSection.set(data, 1 + segmentHead.length);
  const parts = [
    Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]),
    section(1, [0x01, 0x60, 0x00, 0x01, 0x7f]),
    section(3, [0x01, 0x00]),
    section(5, [0x01, 0x00, ...u32(pages)]),
    section(7, [0x01, 0x04, ...new TextEncoder().encode('size'), 0x00, 0x00]),
    section(10, [0x01, ...u32(body.length), ...body]),
    section(11, dataSection),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function signedLeb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
