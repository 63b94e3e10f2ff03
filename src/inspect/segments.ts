import { type CodeEnv, walkExpr } from './code.js';
import { hex } from './error.js';
import type { ModuleFacts } from './facts.js';
import type { Reader } from './reader.js';
import { readTargetFeatures } from './target-features.js';
import { readValType } from './type-section.js';

/**
 * Element segment flags: bit 0 passive or declarative, bit 1 explicit table index or
 * declarative, bit 2 expressions instead of function indices, bit 3 shared (shared-everything).
 */
export function readElementSegment(s: Reader, env: CodeEnv): void {
  const f = env.features;
  const at = s.pos;
  const flags = s.u32();
  if (flags > 0x0f) s.fail(`malformed element segment flags ${hex(flags)}`, at);
  if (flags & 0x08) f.add('set-tables'); // shared segments exist to fill shared tables
  const form = flags & 0x07;
  if (form !== 0) f.add('bulk-memory');
  if (form === 3 || form === 7) f.add('reference-types'); // declarative
  if ((form === 2 || form === 6) && s.u32() !== 0) f.add('reference-types');
  if ((form & 0x01) === 0) walkExpr(s, env, true); // active: its offset
  const expressions = (form & 0x04) !== 0;
  if (form !== 0 && form !== 4) {
    if (expressions) readValType(s, f, true);
    else {
      const kindAt = s.pos;
      if (s.u8() !== 0) s.fail('malformed element kind', kindAt);
    }
  }
  const n = s.count('element');
  for (let i = 0; i < n; i++) {
    if (expressions) walkExpr(s, env, true);
    else s.u32();
  }
}

/** Data segment flags: 0 active, 1 passive, 2 active with a memory index; bit 3 shared. */
export function readDataSegment(s: Reader, env: CodeEnv): void {
  const f = env.features;
  const at = s.pos;
  const flags = s.u32();
  const form = flags & ~0x08;
  if (form > 2) s.fail(`malformed data segment flags ${hex(flags)}`, at);
  // Only shared functions need shared data segments (memory.init from shared code).
  if (flags & 0x08) f.add('set-functions');
  if (form === 1) f.add('bulk-memory');
  if (form === 2 && s.u32() !== 0) f.add('multi-memory');
  if (form !== 1) walkExpr(s, env, true);
  const lenAt = s.pos;
  const len = s.u32();
  if (len > s.remaining) s.fail(`data segment length ${len} exceeds the ${s.remaining} bytes left`, lenAt);
  s.pos += len;
}

/** The code section: one body per declared function, each walked to its final `end`. */
export function readCode(s: Reader, env: CodeEnv, declaredFunctions: number): void {
  const at = s.pos;
  const n = s.count('function body');
  if (n !== declaredFunctions) {
    s.fail(`code section has ${n} bodies for ${declaredFunctions} declared functions`, at);
  }
  for (let i = 0; i < n; i++) {
    const sizeAt = s.pos;
    const body = s.sub(s.u32(), 'function body', sizeAt);
    const groups = body.count('local group');
    for (let g = 0; g < groups; g++) {
      body.u32();
      readValType(body, env.features);
    }
    walkExpr(body, env, false);
    body.expectEnd();
  }
}

/** Custom sections: only `target_features` matters; the others are skipped unread. */
export function readCustomSection(s: Reader, facts: ModuleFacts): void {
  const name = s.name('custom section name');
  if (name !== 'target_features') return;
  if (facts.targetFeatures) facts.notes.push('more than one target_features section: the last one counts');
  try {
    facts.targetFeatures = readTargetFeatures(s);
  } catch (error) {
    // Engines ignore custom sections, so a broken one is a finding, not a reason to refuse.
    facts.targetFeatures = null;
    facts.notes.push(
      `the target_features section is malformed and was ignored (${(error as Error).message})`,
    );
  }
}
