import { describe, expect, it } from 'vitest';
import { InspectError } from './error.js';
import { Reader } from './reader.js';

const at = (...bytes: number[]) => new Reader(Uint8Array.from(bytes), 0, bytes.length, 'test input');

describe('LEB128: the encodings a conforming engine accepts', () => {
  it.each([
    ['u32 one byte', [0x2a], 42],
    ['u32 maximum in five bytes', [0xff, 0xff, 0xff, 0xff, 0x0f], 0xffffffff],
    ['u32 zero written long (padding is allowed)', [0x80, 0x80, 0x80, 0x80, 0x00], 0],
  ])('reads %s', (_what, bytes, value) => {
    const r = at(...bytes);
    expect(r.u32()).toBe(value);
    expect(r.atEnd()).toBe(true);
  });

  it.each([
    ['s32 -1', 's32', [0x7f], -1],
    ['s32 minimum', 's32', [0x80, 0x80, 0x80, 0x80, 0x78], -0x80000000],
    ['s32 maximum', 's32', [0xff, 0xff, 0xff, 0xff, 0x07], 0x7fffffff],
    ['s33 block type 0x40 is -64', 's33', [0x40], -64],
    ['s33 type index 2^32 - 1', 's33', [0xff, 0xff, 0xff, 0xff, 0x0f], 0xffffffff],
  ] as const)('reads %s', (_what, kind, bytes, value) => {
    const r = at(...bytes);
    expect(r[kind]()).toBe(value);
    expect(r.atEnd()).toBe(true);
  });

  it.each([
    ['s64 -1 in ten bytes', 's64', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
    ['s64 minimum', 's64', [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]],
    ['u64 2^63 in ten bytes', 'u64', [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  ] as const)('accepts and skips %s', (_what, kind, bytes) => {
    const r = at(...bytes);
    r[kind]();
    expect(r.atEnd()).toBe(true);
  });
});

describe('LEB128: the encodings a conforming engine rejects', () => {
  it.each([
    ['a 5-byte u32 with unused bits set', 'u32', [0xff, 0xff, 0xff, 0xff, 0x1f], /unused bits/],
    ['a 5-byte u32 whose last byte continues', 'u32', [0xff, 0xff, 0xff, 0xff, 0x8f, 0x00], /too long/],
    ['a 6-byte u32', 'u32', [0x80, 0x80, 0x80, 0x80, 0x80, 0x00], /too long/],
    ['a 5-byte s32 whose high bits are not the sign', 's32', [0x80, 0x80, 0x80, 0x80, 0x08], /unused bits/],
    ['a 5-byte s33 whose high bits are not the sign', 's33', [0x80, 0x80, 0x80, 0x80, 0x30], /unused bits/],
    ['an 11-byte s64', 's64', [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], /too long/],
    ['an 11-byte u64', 'u64', [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], /too long/],
    [
      'a 10-byte u64 with unused bits set',
      'u64',
      [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02],
      /unused/,
    ],
    ['a truncated u32', 'u32', [0x80, 0x80], /runs past the end/],
    ['a truncated s64', 's64', [0xff], /runs past the end/],
    ['an empty u32', 'u32', [], /runs past the end/],
  ] as const)('refuses %s, pointing at its first byte', (_what, kind, bytes, message) => {
    const r = new Reader(Uint8Array.from([0xaa, ...bytes]), 1, bytes.length + 1, 'test input');
    const error = catchError(() => r[kind]());
    expect(error).toBeInstanceOf(InspectError);
    expect(error.message).toMatch(message);
    expect(error.offset).toBe(1);
  });
});

describe('bounds: sizes and counts from the input never outrun it', () => {
  it('refuses a vector count larger than the bytes left, before allocating anything', () => {
    const error = catchError(() => at(0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3).count('import'));
    expect(error.message).toMatch(/import count 4294967295 exceeds the 3 bytes left at offset 0/);
  });

  it('refuses a sub-section whose size runs past its parent', () => {
    const r = new Reader(Uint8Array.from([1, 2, 3, 4]), 0, 2, 'type section');
    expect(() => r.sub(3, 'function body')).toThrow(/function body size 3 exceeds the 2 bytes left/);
  });

  it('stops at the end of its own range even when the buffer goes on', () => {
    const r = new Reader(Uint8Array.from([1, 2, 3, 4]), 0, 2, 'function body');
    r.skip(2, 'payload');
    expect(() => r.u8()).toThrow(/unexpected end of function body at offset 2/);
  });

  it('refuses names that are not UTF-8, without quoting them', () => {
    const error = catchError(() => at(2, 0xc3, 0x28).name('import name'));
    expect(error.message).toBe('import name is not valid UTF-8 at offset 0 (0x0)');
  });

  it('says how many bytes were left unread at the end of a section', () => {
    const r = at(1, 2, 3);
    r.u8();
    expect(() => r.expectEnd()).toThrow(/test input has 2 unread bytes at its end/);
  });
});

function catchError(run: () => unknown): InspectError {
  try {
    run();
  } catch (error) {
    if (error instanceof InspectError) return error;
    throw error;
  }
  throw new Error('expected an InspectError');
}
