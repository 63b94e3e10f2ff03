import { type CodeEnv, walkExpr } from './code.js';
import { hex } from './error.js';
import {
  EXTERN_KINDS,
  type ExternKind,
  emptyFacts,
  GLOBAL_I64,
  GLOBAL_MUTABLE,
  GLOBAL_SHARED,
  type GlobalFact,
  LIMITS,
  type MemoryFact,
  type ModuleFacts,
} from './facts.js';
import { Reader } from './reader.js';
import { readCode, readCustomSection, readDataSegment, readElementSegment } from './segments.js';
import {
  readGlobalType,
  readLimits,
  readTableType,
  readTypeEntry,
  TYPE_FUNC,
  TYPE_HAS_I64,
  TYPE_KIND,
  TYPE_SHARED,
} from './type-section.js';

/** Known sections: name and position in the required order (the tag section sits after memory). */
const SECTIONS: ReadonlyMap<number, { name: string; rank: number }> = new Map([
  [1, { name: 'type section', rank: 1 }],
  [2, { name: 'import section', rank: 2 }],
  [3, { name: 'function section', rank: 3 }],
  [4, { name: 'table section', rank: 4 }],
  [5, { name: 'memory section', rank: 5 }],
  [13, { name: 'tag section', rank: 6 }],
  [6, { name: 'global section', rank: 7 }],
  [7, { name: 'export section', rank: 8 }],
  [8, { name: 'start section', rank: 9 }],
  [9, { name: 'element section', rank: 10 }],
  [12, { name: 'data count section', rank: 11 }],
  [10, { name: 'code section', rank: 12 }],
  [11, { name: 'data section', rank: 13 }],
]);

const JS_STRING_BUILTINS = ['wasm:js-string', 'wasm:text-decoder', 'wasm:text-encoder'];

/** Decodes a whole core module into facts. Throws InspectError on anything malformed. */
export function readModule(bytes: Uint8Array): ModuleFacts {
  const r: Reader = new Reader(bytes, 0, bytes.length, 'module');
  const magic = [0x00, 0x61, 0x73, 0x6d];
  for (const b of magic) if (r.atEnd() || r.u8() !== b) r.fail('not a WebAssembly binary (bad magic)', 0);
  const versionAt = r.pos;
  r.skip(4, 'version');
  const version = new DataView(bytes.buffer, bytes.byteOffset + versionAt, 4).getUint32(0, true);
  if (version === 0x0001000d) r.fail('a component (component model), not a core module', versionAt);
  if (version !== 1) r.fail(`unsupported binary version ${version}`, versionAt);

  const m = new ModuleReader();
  let lastRank = 0;
  while (!r.atEnd()) {
    const at = r.pos;
    const id = r.u8();
    const sizeAt = r.pos;
    const size = r.u32();
    if (id === 0) {
      readCustomSection(r.sub(size, 'custom section', sizeAt), m.facts);
      continue;
    }
    const known = SECTIONS.get(id);
    if (!known) r.fail(`unknown section id ${id}`, at);
    if (known.rank <= lastRank) r.fail(`${known.name} repeated or out of order`, at);
    lastRank = known.rank;
    const s = r.sub(size, known.name, sizeAt);
    m.section(id, s);
    s.expectEnd();
  }
  m.finish(r);
  return m.facts;
}

class ModuleReader {
  readonly facts = emptyFacts();
  private readonly env: CodeEnv = { features: this.facts.features, memories: this.facts.memories };
  private declaredFunctions = 0;
  private hasCode = false;

  private readonly f = this.facts.features;

  private isSharedFunc(typeIndex: number): boolean {
    const word = this.facts.types[typeIndex];
    return word !== undefined && (word & TYPE_KIND) === TYPE_FUNC && (word & TYPE_SHARED) !== 0;
  }

  section(id: number, s: Reader): undefined {
    const { facts, f, env } = this;
    switch (id) {
      case 1:
        return this.each(s, 'type', LIMITS.types, () => {
          const at = s.pos;
          readTypeEntry(s, f, facts.types);
          if (facts.types.length > LIMITS.types) s.fail(`more than ${LIMITS.types} types`, at);
        });
      case 2:
        return this.each(s, 'import', LIMITS.imports, () => this.importEntry(s));
      case 3:
        return this.each(s, 'function', LIMITS.functions, () => {
          const type = s.u32();
          if (this.isSharedFunc(type)) f.add('set-functions');
          facts.funcTypes.push(type);
          this.declaredFunctions++;
        });
      case 4:
        return this.each(s, 'table', LIMITS.tables, () => this.table(s));
      case 5:
        return this.each(s, 'memory', LIMITS.memories, () => {
          const { shared, is64 } = readLimits(s, f, true, facts.notes);
          this.addMemory(s, { shared, is64, imported: false });
        });
      case 13:
        return this.each(s, 'tag', LIMITS.tags, () => this.tagType(s));
      case 6:
        return this.each(s, 'global', LIMITS.globals, () => {
          facts.globals.push(readGlobalType(s, f));
          walkExpr(s, env, true);
        });
      case 7:
        return this.each(s, 'export', LIMITS.exports, () => {
          facts.exports.push({ name: s.name('export name'), kind: this.externKind(s) });
          facts.exportIndices.push(s.u32());
        });
      case 8:
        s.u32(); // start function
        return;
      case 9:
        return this.each(s, 'element segment', Number.POSITIVE_INFINITY, () => readElementSegment(s, env));
      case 12:
        s.u32();
        f.add('bulk-memory');
        return;
      case 10:
        readCode(s, env, this.declaredFunctions);
        this.hasCode = true;
        return;
      case 11:
        return this.each(s, 'data segment', LIMITS.dataSegments, () => readDataSegment(s, env));
    }
  }

  /** Reads a vector of entries; returns nothing, so `return this.each(...)` ends a case. */
  private each(s: Reader, what: string, limit: number, read: () => void): undefined {
    const n = s.count(what, limit);
    for (let i = 0; i < n; i++) read();
    return undefined;
  }

  private externKind(s: Reader): ExternKind {
    const at = s.pos;
    const b = s.u8();
    const kind = EXTERN_KINDS[b];
    if (kind === undefined) s.fail(`unknown external kind ${hex(b)}`, at);
    return kind;
  }

  private importEntry(s: Reader): void {
    const module = s.name('import module name');
    const name = s.name('import name');
    const kind = this.externKind(s);
    if (module.startsWith('wasm:') && JS_STRING_BUILTINS.includes(module)) this.f.add('js-string-builtins');
    let shared: boolean | undefined;
    let typeIndex = -1;
    switch (kind) {
      case 'func':
        typeIndex = s.u32();
        this.facts.funcTypes.push(typeIndex);
        if (this.isSharedFunc(typeIndex)) {
          shared = true;
          this.f.add('set-functions');
        }
        break;
      case 'table':
        shared = readTableType(s, this.f, this.facts.notes).shared;
        this.addTable(s);
        break;
      case 'memory': {
        const limits = readLimits(s, this.f, true, this.facts.notes);
        shared = limits.shared;
        this.addMemory(s, { shared, is64: limits.is64, imported: true });
        break;
      }
      case 'global': {
        const g = readGlobalType(s, this.f);
        shared = (g & GLOBAL_SHARED) !== 0;
        this.facts.globals.push(g);
        break;
      }
      case 'tag':
        typeIndex = this.tagType(s);
        if (this.isSharedFunc(typeIndex)) shared = true;
        break;
    }
    // Built in the report's own shape, once: a module may import a million things.
    this.facts.imports.push(shared === undefined ? { module, name, kind } : { module, name, kind, shared });
    this.facts.importTypes.push(typeIndex);
  }

  private tagType(s: Reader): number {
    const at = s.pos;
    if (s.u8() !== 0) s.fail('malformed tag attribute', at);
    const type = s.u32();
    this.f.add('exceptions');
    // A tag is shared when its function type is: the same engine support as shared functions.
    if (this.isSharedFunc(type)) this.f.add('set-functions');
    return type;
  }

  private table(s: Reader): void {
    if (s.peek() === 0x40) {
      // 40 00 tabletype expr: a table with an explicit initialiser (typed function references).
      const at = s.pos;
      s.u8();
      if (s.u8() !== 0) s.fail('malformed table initialiser prefix', at);
      this.f.add('typed-funcref');
      readTableType(s, this.f, this.facts.notes);
      walkExpr(s, this.env, true);
    } else {
      readTableType(s, this.f, this.facts.notes);
    }
    this.addTable(s);
  }

  private addTable(s: Reader): void {
    if (++this.facts.tableCount > LIMITS.tables) s.fail(`more than ${LIMITS.tables} tables`);
  }

  private addMemory(s: Reader, memory: MemoryFact): void {
    this.facts.memories.push(memory);
    if (this.facts.memories.length > LIMITS.memories) s.fail(`more than ${LIMITS.memories} memories`);
  }

  finish(r: Reader): void {
    if (!this.hasCode && this.declaredFunctions > 0) {
      r.fail(`${this.declaredFunctions} functions declared but there is no code section`, r.pos);
    }
    if (this.facts.memories.length > 1) this.f.add('multi-memory');
    if (this.facts.tableCount > 1) this.f.add('reference-types');
    // Crossing the JS boundary: mutable globals and i64 values (BigInt) in imports and exports.
    const { imports, importTypes, exports, exportIndices, funcTypes, globals } = this.facts;
    let importedGlobals = 0;
    for (let i = 0; i < imports.length; i++) {
      const kind = imports[i]!.kind;
      if (kind === 'func') this.boundaryFunc(importTypes[i]!);
      else if (kind === 'global') this.boundaryGlobal(globals[importedGlobals++]);
    }
    for (let i = 0; i < exports.length; i++) {
      const kind = exports[i]!.kind;
      if (kind === 'func') this.boundaryFunc(funcTypes[exportIndices[i]!] ?? -1);
      else if (kind === 'global') this.boundaryGlobal(globals[exportIndices[i]!]);
    }
  }

  private boundaryFunc(typeIndex: number): void {
    const word = this.facts.types[typeIndex];
    if (word !== undefined && (word & TYPE_KIND) === TYPE_FUNC && word & TYPE_HAS_I64) this.f.add('bigint');
  }

  private boundaryGlobal(global: GlobalFact | undefined): void {
    if (global === undefined) return;
    if (global & GLOBAL_MUTABLE) this.f.add('mutable-globals');
    if (global & GLOBAL_I64) this.f.add('bigint');
  }
}
