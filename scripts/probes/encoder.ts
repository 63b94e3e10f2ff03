/**
 * The probe modules' dialect of the project's one wasm builder (inspect/wasm-builder.ts), used at
 * build time only (scripts/gen-probes.ts) to write the probe modules from readable definitions.
 * Nothing here ships in the probe bundle.
 */
import { type Bytes, HEADER, section as rawSection, u32, vec } from '../../src/inspect/wasm-builder.js';

export { type Bytes, HEADER, u32, vec };

// Value and heap types.
export const I32 = 0x7f;
export const FUNCREF = 0x70;
export const REF_NULL = 0x63;
export const ABS_FUNC = 0x70;
/** The `shared` prefix of composite types and abstract heap types (threading-models.md section 3). */
export const SHARED = 0x65;

const section = (id: number, items: Bytes[]): Bytes => rawSection(id, vec(items));

// Composite types.
export const funcType = (params: Bytes[], results: Bytes[]): Bytes => [0x60, ...vec(params), ...vec(results)];
export const structType = (fields: { type: Bytes; mutable: boolean }[]): Bytes => [
  0x5f,
  ...vec(fields.map((f) => [...f.type, f.mutable ? 1 : 0])),
];
export const shared = (composite: Bytes): Bytes => [SHARED, ...composite];
/** `(ref null <heap>)`; a shared abstract heap type always in the long form `63 65 70`. */
export const refNull = (heap: Bytes): Bytes => [REF_NULL, ...heap];

/** Global mutability byte: bit 0 mutable, bit 1 shared. */
export const globalType = (type: Bytes, opts: { mutable?: boolean; shared?: boolean } = {}): Bytes => [
  ...type,
  (opts.mutable ? 1 : 0) | (opts.shared ? 2 : 0),
];
/** Limits with a maximum (flag bit 0), shared when flag bit 1 is set. */
export const limits = (min: number, max: number, opts: { shared?: boolean } = {}): Bytes => [
  1 | (opts.shared ? 2 : 0),
  ...u32(min),
  ...u32(max),
];

export interface ModuleParts {
  types?: Bytes[];
  funcs?: number[];
  tables?: Bytes[];
  memories?: Bytes[];
  globals?: { type: Bytes; init: Bytes }[];
  exports?: { name: string; kind: number; index: number }[];
  /** Function bodies: instruction bytes without the trailing `end`; no locals. */
  code?: Bytes[];
}

/** A whole module, sections in the binary order. */
export function module(parts: ModuleParts): Uint8Array {
  const out: Bytes = [...HEADER];
  if (parts.types) out.push(...section(1, parts.types));
  if (parts.funcs) out.push(...section(3, parts.funcs.map(u32)));
  if (parts.tables) out.push(...section(4, parts.tables));
  if (parts.memories) out.push(...section(5, parts.memories));
  if (parts.globals)
    out.push(
      ...section(
        6,
        parts.globals.map((g) => [...g.type, ...g.init, END]),
      ),
    );
  if (parts.exports) {
    const utf8 = new TextEncoder();
    out.push(
      ...section(
        7,
        parts.exports.map((e) => [...vec([...utf8.encode(e.name)].map((b) => [b])), e.kind, ...u32(e.index)]),
      ),
    );
  }
  if (parts.code) {
    out.push(
      ...section(
        10,
        parts.code.map((body) => {
          const fn = [0x00, ...body, END];
          return [...u32(fn.length), ...fn];
        }),
      ),
    );
  }
  return new Uint8Array(out);
}

export const END = 0x0b;

// Instructions the probes use.
export const op = {
  drop: [0x1a],
  call: (f: number): Bytes => [0x10, ...u32(f)],
  localGet: (i: number): Bytes => [0x20, ...u32(i)],
  globalGet: (i: number): Bytes => [0x23, ...u32(i)],
  i32Const0: [0x41, 0x00],
  /** `i32.atomic.load` with natural alignment; `order` adds the acquire/release memarg bit (spec: 0x10) and its byte. */
  i32AtomicLoad: (order?: 'acqrel'): Bytes =>
    order ? [0xfe, 0x10, 0x02 | 0x10, 0x01, 0x00] : [0xfe, 0x10, 0x02, 0x00],
  pause: [0xfe, 0x04],
  /** `global.atomic.get <ordering> <global>`: 0xFE 0x4F (Overview.md, "Instructions"). */
  globalAtomicGet: (g: number): Bytes => [0xfe, 0x4f, 0x00, ...u32(g)],
  /** `struct.atomic.get <ordering> <type> <field>`: 0xFE 0x5C, acqrel ordering byte 0x01. */
  structAtomicGetAcqrel: (type: number, field: number): Bytes => [
    0xfe,
    0x5c,
    0x01,
    ...u32(type),
    ...u32(field),
  ],
  structNew: (type: number): Bytes => [0xfb, 0x00, ...u32(type)],
};
