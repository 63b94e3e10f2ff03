import { type Capability, FEATURES, normalizeCaps, type ThreadModel } from '../profile/caps.js';
import type { ModuleFacts } from './facts.js';
import { crossCheck } from './target-features.js';
import type { Recognition } from './toolchain.js';
import { TYPE_SPAWN_SIG, TYPE_START_SIG } from './type-section.js';

/** Features a binary cannot show: they belong to the host's JS API, not to the module. */
const HOST_ONLY: readonly Capability[] = ['jspi', 'streaming-compilation', 'type-reflection'];

/** Capabilities the decoder records under their own names and that pass straight into `requires`. */
const PLAIN: readonly Capability[] = [...FEATURES.filter((c) => !HOST_ONLY.includes(c)), 'acqrel-atomics'];

/** Shared-everything constructs, each with what it means in a sentence. */
const SET_CONSTRUCTS: ReadonlyMap<Capability, string> = new Map<Capability, string>([
  ['set-types', 'shared types'],
  ['set-globals', 'shared globals'],
  ['set-functions', 'shared functions (or shared tags, data segments)'],
  ['set-tables', 'shared tables (or shared element segments)'],
  ['set-gc-atomics', 'struct/array atomics'],
  ['set-global-atomics', 'global/table atomics'],
]);

export interface Classification {
  model: ThreadModel;
  requires: Capability[];
  notes: string[];
}

/**
 * Thread model and required capabilities from the decoded facts (threading-models.md section 4)
 * and what the toolchain recognition says about starting threads (toolchain.ts).
 */
export function classify(facts: ModuleFacts, tool: Recognition): Classification {
  const f = facts.features;
  const requires = new Set<Capability>(PLAIN.filter((cap) => f.has(cap)));
  const notes = [...facts.notes];
  const sharedMemory = facts.memories.some((m) => m.shared);
  const atomics = f.has('atomic-op');
  const pause = f.has('set-pause');
  const typeWord = (index: number) => facts.types[index] ?? 0;

  if (pause) requires.add('set-pause');
  if (f.has('acqrel-prototype')) {
    notes.push(
      'linear-memory atomics announce their ordering with memarg bit 0x20 (V8 prototype encoding); engines that follow the current spec (bit 0x10) reject it',
    );
  }
  if (f.has('ordering-seqcst')) {
    notes.push(
      'a memarg carries an explicit seqcst ordering immediate: only engines with acquire/release atomics read it',
    );
  }
  if (atomics && !sharedMemory) {
    requires.add('shared-memory');
    notes.push('atomic instructions on unshared memory: they still need an engine that validates atomics');
  }

  const set = [...SET_CONSTRUCTS.keys()].filter((cap) => f.has(cap));
  const spawnAt = facts.imports.findIndex(
    (i) =>
      i.kind === 'func' && i.module === 'wasi' && (i.name === 'thread-spawn' || i.name === 'thread_spawn'),
  );
  const spawn = facts.imports[spawnAt];
  const startAt = facts.exports.findIndex((e) => e.kind === 'func' && e.name === 'wasi_thread_start');
  const startExport = facts.exports[startAt];
  const spawnOk = spawn !== undefined && (typeWord(facts.importTypes[spawnAt] ?? -1) & TYPE_SPAWN_SIG) !== 0;
  const startOk =
    startExport !== undefined &&
    (typeWord(facts.funcTypes[facts.exportIndices[startAt] ?? -1] ?? -1) & TYPE_START_SIG) !== 0;
  const importedShared = facts.memories.some((m) => m.imported && m.shared);

  let model: ThreadModel;
  // `pause` alone came from the acquire-release proposal: in a shared-memory build it is a spin
  // hint for SAB or wasi threads, so it only makes the model shared-everything when nothing else
  // decides it.
  if (set.length > 0 || (pause && !sharedMemory)) {
    model = 'shared-everything';
    for (const cap of set) requires.add(cap);
    requires.add('set-threads');
    const what = set.map((cap) => SET_CONSTRUCTS.get(cap)).concat(pause ? ['pause'] : []);
    notes.push(
      `shared-everything threads: uses ${what.join(', ')}; runs on several threads only where set-threads holds`,
    );
    if (sharedMemory) {
      requires.add('shared-memory').add('threads');
      notes.push('also has a shared linear memory: needs SAB threads besides shared-everything');
    }
  } else if (spawnOk && startOk && importedShared) {
    model = 'wasi-threads';
    requires.add('wasi-threads').add('shared-memory');
    notes.push(
      `wasi-threads: imports wasi.${spawn.name}, exports wasi_thread_start and imports a shared memory`,
    );
  } else if (sharedMemory) {
    requires.add('shared-memory');
    if (spawn || startExport)
      notes.push(
        partialWasiThreads(spawn !== undefined, spawnOk, startExport !== undefined, startOk, importedShared),
      );
    if (tool.threads === 'spawns') {
      // A build that creates threads needs them usable (isolation in a browser) and a worker API.
      model = 'sab';
      requires.add('threads').add('workers');
      notes.push(`SAB threads: a ${TOOL_NAMES[tool.toolchain]} build that starts its own threads`);
    } else if (tool.threads === 'never') {
      model = 'single';
      notes.push(
        tool.toolchain === 'wasi'
          ? 'threads-ready WASI build that never spawns: shared memory and wasi_snapshot_preview1 imports but no wasi.thread-spawn, so it runs on one thread'
          : `a ${TOOL_NAMES[tool.toolchain]} build that declares shared memory but never starts a thread: it runs on one thread`,
      );
    } else {
      // No evidence how threads start: assume they do, so that no page that cannot run them gets it.
      model = 'sab';
      requires.add('threads');
      notes.push(
        'shared memory and no evidence of how threads start: treated as SAB threads (publish the glue beside the wasm, or declare the model)',
      );
    }
    if (!atomics) notes.push('shared memory without atomics: no atomic instruction is used');
    if (pause)
      notes.push(
        'pause (0xFE 0x04) in a shared-memory build: engines still gate it behind their shared-everything flag',
      );
  } else {
    model = 'single';
  }

  if (facts.targetFeatures) notes.push(...crossCheck(facts.targetFeatures, f, sharedMemory));
  return { model, requires: normalizeCaps(requires), notes: [...new Set(notes)] };
}

const TOOL_NAMES: Record<Recognition['toolchain'], string> = {
  emscripten: 'Emscripten',
  'wasm-bindgen': 'wasm-bindgen',
  dotnet: '.NET',
  emnapi: 'emnapi',
  'napi-wasm': 'napi-wasm',
  wasi: 'WASI',
  unknown: 'shared-memory',
};

function partialWasiThreads(
  spawn: boolean,
  spawnOk: boolean,
  start: boolean,
  startOk: boolean,
  importedShared: boolean,
): string {
  const missing: string[] = [];
  if (!spawn) missing.push('no wasi.thread-spawn import');
  else if (!spawnOk) missing.push('wasi.thread-spawn is not (i32) -> i32');
  if (!start) missing.push('no wasi_thread_start export');
  else if (!startOk) missing.push('wasi_thread_start is not (i32 i32) -> ()');
  if (!importedShared) missing.push('the shared memory is not imported');
  return `looks like wasi-threads but is not: ${missing.join(', ')}`;
}
