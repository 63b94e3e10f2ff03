import type { Capability } from '../profile/caps.js';
import { hex } from './error.js';
import type { Feature } from './facts.js';
import type { Reader } from './reader.js';

/**
 * The `target_features` custom section as LLVM writes it: a count, then per entry a prefix byte
 * (`+` used, `-` disallowed, `=` required) and a feature name. Returns entries like `+atomics`.
 */
export function readTargetFeatures(r: Reader): string[] {
  const n = r.count('target feature', 1_000); // LLVM knows a few dozen
  const entries: string[] = [];
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const prefix = r.u8();
    if (prefix !== 0x2b && prefix !== 0x2d && prefix !== 0x3d)
      r.fail(`unknown target feature prefix ${hex(prefix)}`, at);
    entries.push(String.fromCharCode(prefix) + r.name('target feature name'));
  }
  r.expectEnd();
  return entries;
}

/** LLVM's feature names and the capability (or capabilities) that show the feature in use. */
interface LlvmFeature {
  uses: readonly Capability[];
  what: string;
  /** Other names that also announce the use (LLVM split some features). */
  aliases?: readonly string[];
  /** A narrower alias: only "listed but unused" is checked for it. */
  aliasOnly?: boolean;
}

const LLVM_FEATURES: ReadonlyMap<string, LlvmFeature> = new Map<string, LlvmFeature>([
  ['simd128', { uses: ['simd'], what: 'no SIMD instruction or v128 value' }],
  ['relaxed-simd', { uses: ['relaxed-simd'], what: 'no relaxed SIMD instruction' }],
  [
    'bulk-memory',
    {
      uses: ['bulk-memory'],
      what: 'no bulk memory instruction, passive segment or data count',
      aliases: ['bulk-memory-opt'],
    },
  ],
  ['bulk-memory-opt', { uses: ['bulk-memory'], what: 'no memory.copy or memory.fill', aliasOnly: true }],
  ['exception-handling', { uses: ['exceptions', 'exnref'], what: 'no tag or exception instruction' }],
  ['multivalue', { uses: ['multi-value'], what: 'no multi-result type or type-indexed block' }],
  ['mutable-globals', { uses: ['mutable-globals'], what: 'no imported or exported mutable global' }],
  ['nontrapping-fptoint', { uses: ['sat-float-to-int'], what: 'no saturating truncation' }],
  ['sign-ext', { uses: ['sign-ext'], what: 'no sign-extension instruction' }],
  [
    'reference-types',
    {
      uses: ['reference-types'],
      what: 'no reference type or instruction outside an MVP table',
      aliases: ['call-indirect-overlong'],
    },
  ],
  ['tail-call', { uses: ['tail-call'], what: 'no tail call' }],
  ['memory64', { uses: ['memory64'], what: 'no 64-bit memory or table' }],
  ['multimemory', { uses: ['multi-memory'], what: 'no second memory' }],
  ['extended-const', { uses: ['extended-const'], what: 'no arithmetic in constant expressions' }],
  ['gc', { uses: ['gc'], what: 'no GC type or instruction' }],
  ['wide-arithmetic', { uses: ['wide-arithmetic'], what: 'no wide arithmetic instruction' }],
]);

/**
 * Every disagreement between what the section claims and what the sections and code show. A
 * listed feature that is never used is only a note: requirements come from the binary alone.
 */
export function crossCheck(
  entries: readonly string[],
  used: ReadonlySet<Feature>,
  sharedMemory: boolean,
): string[] {
  const notes: string[] = [];
  const listed = new Map<string, string>();
  for (const entry of entries) listed.set(entry.slice(1), entry.slice(0, 1));

  const atomics = sharedMemory || used.has('atomic-op');
  const atomicsPrefix = listed.get('atomics');
  if (atomicsPrefix === '-' && atomics) {
    notes.push(
      'target_features disallows atomics (-atomics) but the module has a shared memory or atomic instructions',
    );
  } else if (atomicsPrefix !== undefined && atomicsPrefix !== '-' && !atomics) {
    notes.push(
      'target_features lists +atomics but the module has no shared memory and no atomic instruction',
    );
  } else if (atomicsPrefix === undefined && sharedMemory) {
    notes.push('the module has a shared memory but target_features does not list +atomics');
  } else if (atomicsPrefix === undefined && atomics) {
    notes.push('the module uses atomic instructions but target_features does not list +atomics');
  }

  for (const [name, { uses, what, aliases = [], aliasOnly }] of LLVM_FEATURES) {
    const prefix = listed.get(name);
    const aliasListed = aliases.some((alias) => listed.has(alias) && listed.get(alias) !== '-');
    const inUse = uses.some((cap) => used.has(cap));
    if (prefix === '-' && inUse) {
      notes.push(`target_features disallows ${name} (-${name}) but the module uses ${uses.join('/')}`);
    } else if (prefix !== undefined && prefix !== '-' && !inUse) {
      notes.push(
        `target_features lists ${prefix}${name} but the module has ${what} (a note only, not a requirement)`,
      );
    } else if (prefix === undefined && inUse && !aliasListed && !aliasOnly) {
      notes.push(
        `the module uses ${uses.filter((cap) => used.has(cap)).join('/')} but target_features does not list +${name}`,
      );
    }
  }
  return notes;
}
