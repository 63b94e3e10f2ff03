/**
 * A tiny typed byte builder for test modules: sections and instructions are written by name, so
 * tests read as wasm, not as hex. The one byte builder of the project: tests, the bench and the
 * probe sources (scripts/probes/encoder.ts) write modules with it; nothing that ships imports it.
 */
export type Bytes = number[];

/** Byte runs (arrays or typed arrays, for megabyte-sized parts) joined into one array. */
export function concat(...parts: readonly (Uint8Array | Bytes)[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function u32(n: number): Bytes {
  const out: Bytes = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function s64(n: bigint): Bytes {
  const out: Bytes = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export const s32 = (n: number): Bytes => s64(BigInt(n));

export function name(text: string): Bytes {
  const utf8 = [...new TextEncoder().encode(text)];
  return [...u32(utf8.length), ...utf8];
}

export function vec(items: Bytes[]): Bytes {
  return [...u32(items.length), ...items.flat()];
}

export const HEADER: Bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

export function wasm(...sections: Bytes[]): Uint8Array {
  return Uint8Array.from([...HEADER, ...sections.flat()]);
}

export function section(id: number, body: Bytes): Bytes {
  return [id, ...u32(body.length), ...body];
}

/** Value types and type constructors. */
export const t = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
  anyref: 0x6e,
  exnref: 0x69,
} as const;

export const refNull = (heapType: Bytes): Bytes => [0x63, ...heapType];
export const ref = (heapType: Bytes): Bytes => [0x64, ...heapType];
export const sharedHeap = (abs: number): Bytes => [0x65, abs];

export const func = (params: Bytes[], results: Bytes[]): Bytes => [0x60, ...vec(params), ...vec(results)];
export const struct = (...fields: Bytes[]): Bytes => [0x5f, ...vec(fields)];
export const array = (field: Bytes): Bytes => [0x5e, ...field];
export const field = (type: Bytes, mutable = true): Bytes => [...type, mutable ? 1 : 0];
export const shared = (comptype: Bytes): Bytes => [0x65, ...comptype];
export const rec = (...subtypes: Bytes[]): Bytes => [0x4e, ...vec(subtypes)];

export const limits = (flags: number, min: number, max?: number): Bytes =>
  max === undefined ? [flags, ...u32(min)] : [flags, ...u32(min), ...u32(max)];

export const types = (...entries: Bytes[]): Bytes => section(1, vec(entries));

export const imp = {
  func: (module: string, field: string, type: number): Bytes => [
    ...name(module),
    ...name(field),
    0x00,
    ...u32(type),
  ],
  table: (module: string, field: string, elem: Bytes, lim: Bytes): Bytes => [
    ...name(module),
    ...name(field),
    0x01,
    ...elem,
    ...lim,
  ],
  memory: (module: string, field: string, lim: Bytes): Bytes => [
    ...name(module),
    ...name(field),
    0x02,
    ...lim,
  ],
  global: (module: string, field: string, type: Bytes, mut: number): Bytes => [
    ...name(module),
    ...name(field),
    0x03,
    ...type,
    mut,
  ],
  tag: (module: string, field: string, type: number): Bytes => [
    ...name(module),
    ...name(field),
    0x04,
    0x00,
    ...u32(type),
  ],
};
export const imports = (...entries: Bytes[]): Bytes => section(2, vec(entries));

export const functions = (...typeIndices: number[]): Bytes => section(3, vec(typeIndices.map(u32)));
export const tables = (...entries: Bytes[]): Bytes => section(4, vec(entries));
export const memories = (...entries: Bytes[]): Bytes => section(5, vec(entries));
export const tags = (...typeIndices: number[]): Bytes =>
  section(13, vec(typeIndices.map((x) => [0x00, ...u32(x)])));
export const globals = (...entries: { type: Bytes; mut: number; init: Bytes }[]): Bytes =>
  section(6, vec(entries.map((g) => [...g.type, g.mut, ...g.init, 0x0b])));

const EXPORT_KIND = { func: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;
export const exports = (...entries: [string, keyof typeof EXPORT_KIND, number][]): Bytes =>
  section(7, vec(entries.map(([n, kind, index]) => [...name(n), EXPORT_KIND[kind], ...u32(index)])));

export const elements = (...segments: Bytes[]): Bytes => section(9, vec(segments));
export const dataCount = (n: number): Bytes => section(12, u32(n));
export const datas = (...segments: Bytes[]): Bytes => section(11, vec(segments));

/** A function body: local groups `[count, type]`, then instructions; the final `end` is added. */
export function body(locals: [number, Bytes][], ...instrs: Bytes[]): Bytes {
  const bytes = [...vec(locals.map(([n, type]) => [...u32(n), ...type])), ...instrs.flat(), 0x0b];
  return [...u32(bytes.length), ...bytes];
}
export const code = (...bodies: Bytes[]): Bytes => section(10, vec(bodies));

export const custom = (sectionName: string, payload: Bytes): Bytes =>
  section(0, [...name(sectionName), ...payload]);
export const targetFeatures = (...entries: string[]): Bytes =>
  custom('target_features', vec(entries.map((e) => [e.charCodeAt(0), ...name(e.slice(1))])));

/** Instructions, by their text-format names. */
export const op = {
  end: [0x0b],
  drop: [0x1a],
  nop: [0x01],
  block: (bt: Bytes = [0x40]): Bytes => [0x02, ...bt],
  localGet: (x: number): Bytes => [0x20, ...u32(x)],
  i32Const: (n: number): Bytes => [0x41, ...s32(n)],
  i64Const: (n: bigint): Bytes => [0x42, ...s64(n)],
  i32Add: [0x6a],
  /** memarg: flags, optional memory index / ordering byte, offset. */
  memarg: (flags: number, offset: number, extra: Bytes = []): Bytes => [
    ...u32(flags),
    ...extra,
    ...u32(offset),
  ],
  i32Load: (align = 2, offset = 0): Bytes => [0x28, ...u32(align), ...u32(offset)],
  atomic: (sub: number, ...imm: Bytes[]): Bytes => [0xfe, ...u32(sub), ...imm.flat()],
  gc: (sub: number, ...imm: Bytes[]): Bytes => [0xfb, ...u32(sub), ...imm.flat()],
  misc: (sub: number, ...imm: Bytes[]): Bytes => [0xfc, ...u32(sub), ...imm.flat()],
  simd: (sub: number, ...imm: Bytes[]): Bytes => [0xfd, ...u32(sub), ...imm.flat()],
};

/** A module with one `() -> ()` function whose body is `instrs`, plus whatever `extra` sections say. */
export function oneFunction(
  instrs: Bytes[],
  extra: { before?: Bytes[]; after?: Bytes[]; locals?: [number, Bytes][] } = {},
): Uint8Array {
  return wasm(
    types(func([], [])),
    functions(0),
    ...(extra.before ?? []),
    code(body(extra.locals ?? [], ...instrs)),
    ...(extra.after ?? []),
  );
}

/** A section whose (large) body is already bytes: `section` without a number[] copy. */
export const bigSection = (id: number, content: Uint8Array): Uint8Array =>
  concat([id, ...u32(content.length)], content);

/**
 * A valid module of `size` bytes or a little less, nearly all one active data segment of
 * pseudo-random bytes from a 16-symbol alphabet (it compresses about as well as real code; `seed`
 * picks the bytes), whose one export `exportName()` returns `value`. Any byte of the segment can be
 * changed and the module stays valid: only a hash tells such copies apart.
 */
export function dataModule(
  size: number,
  value: number,
  exportName = 'check',
  seed = 0x9e3779b9,
  /** Import `env.started: () -> ()` and call it from a start function: instantiation becomes observable. */
  started = false,
): Uint8Array {
  const length = size - (started ? 96 : 64);
  const data = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = 0x40 | ((x >>> 0) & 0x0f);
  }
  // One active segment at offset 0 of memory 0: flags 0, `i32.const 0 end`, the bytes.
  const segment = concat([0x00, ...op.i32Const(0), ...op.end, ...u32(length)], data);
  const check = started ? 1 : 0;
  return concat(
    HEADER,
    types(func([], [[t.i32]]), ...(started ? [func([], [])] : [])),
    ...(started ? [imports(imp.func('env', 'started', 1))] : []),
    functions(0),
    memories(limits(0x00, Math.ceil(length / 65536))),
    exports([exportName, 'func', check]),
    ...(started ? [section(8, u32(0))] : []),
    code(body([], op.i32Const(value))),
    bigSection(11, concat(u32(1), segment)),
  );
}
