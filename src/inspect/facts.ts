import type { Capability } from '../profile/caps.js';

/**
 * What the decoder saw that classification needs besides the capabilities themselves:
 * - `atomic-op`: a linear-memory atomic instruction (0xFE 0x00..0x03, 0x10..0x4E);
 * - `acqrel-prototype`: an ordering immediate announced by memarg bit 0x20 (V8's prototype);
 * - `ordering-seqcst`: an ordering immediate announced on a memarg that says seqcst.
 */
export type Marker = 'atomic-op' | 'acqrel-prototype' | 'ordering-seqcst';
export type Feature = Capability | Marker;

export type ExternKind = 'func' | 'table' | 'memory' | 'global' | 'tag';
export const EXTERN_KINDS: readonly ExternKind[] = ['func', 'table', 'memory', 'global', 'tag'];

/** An import as the report shows it; `shared` is said of tables, memories, globals, and shared functions and tags. */
export interface ImportFact {
  module: string;
  name: string;
  kind: ExternKind;
  shared?: boolean;
}

export interface ExportFact {
  name: string;
  kind: ExternKind;
}

export interface MemoryFact {
  shared: boolean;
  is64: boolean;
  imported: boolean;
}

/** A global, packed: see the `GLOBAL_*` bits. */
export type GlobalFact = number;
export const GLOBAL_MUTABLE = 1;
export const GLOBAL_SHARED = 2;
export const GLOBAL_I64 = 4;

/**
 * The JS API's implementation limits (shared by every web engine): a module over them never
 * runs on the web, and refusing it early bounds the inspector's work and memory.
 */
export const LIMITS = {
  types: 1_000_000,
  functions: 1_000_000,
  imports: 1_000_000,
  exports: 1_000_000,
  globals: 1_000_000,
  tags: 1_000_000,
  dataSegments: 100_000,
  tables: 100_000,
  memories: 100,
  params: 1_000,
  results: 1_000,
  fields: 10_000,
} as const;

/** Everything the section walk learned, before any judgement. */
export interface ModuleFacts {
  features: Set<Feature>;
  /** One packed word per type index; see `TYPE_*` in type-section.ts. */
  types: number[];
  /** Type index of every function, imported ones first. */
  funcTypes: number[];
  imports: ImportFact[];
  /** Type index of each import that is a function or tag, -1 for the others. */
  importTypes: number[];
  exports: ExportFact[];
  /** Index (in its kind's index space) of each export. */
  exportIndices: number[];
  memories: MemoryFact[];
  tableCount: number;
  /** Every global, imported ones first. */
  globals: GlobalFact[];
  /** Entries of the `target_features` custom section, or null when there is none. */
  targetFeatures: string[] | null;
  /** Findings of the decoder itself (odd encodings, malformed custom sections). */
  notes: string[];
}

export function emptyFacts(): ModuleFacts {
  return {
    features: new Set(),
    types: [],
    funcTypes: [],
    imports: [],
    importTypes: [],
    exports: [],
    exportIndices: [],
    memories: [],
    tableCount: 0,
    globals: [],
    targetFeatures: null,
    notes: [],
  };
}
