/**
 * The wasm binary inspector: bytes in, report out. Pure, synchronous, no I/O and no Node-only API,
 * so the same code runs in the CLI, the Node server and Cloudflare Workers.
 *
 * Why our own decoder: weft has to see the shared-everything-threads proposal at the opcode
 * level (0x65 shared prefixes, shared globals and tables, the new 0xFE atomics with their
 * ordering bytes, `pause`), which binaryen.js does not read for globals and tables; jco's
 * wasm-tools reads it but is multi-megabyte and cannot ship in the Workers bundle. A bounded
 * streaming decoder is small, fast, and safe on hostile input: every size and count is checked
 * against the bytes left, nothing recurses with the input's nesting, and it never validates more
 * than it needs to classify.
 */
import type { Capability, ThreadModel } from '../profile/caps.js';
import { classify } from './classify.js';
import { InspectError } from './error.js';
import type { ExternKind } from './facts.js';
import { readModule } from './sections.js';
import { type Recognition, recognise } from './toolchain.js';

export { InspectError } from './error.js';
export type { Recognition, Toolchain } from './toolchain.js';

/** Inputs over this size are refused before decoding. */
export const MAX_INSPECT_BYTES = 64 * 1024 * 1024;

/** What a binary needs from the engine that runs it, as the manifest records it. */
export interface InspectReport {
  /** `shared-everything`, `sab`, `wasi-threads` or `single` (threading-models.md section 4). */
  model: ThreadModel;
  /** Capabilities the binary requires, in `normalizeCaps` order. */
  requires: Capability[];
  imports: { module: string; name: string; kind: ExternKind; shared?: boolean }[];
  exports: { name: string; kind: ExternKind }[];
  /** Entries of the `target_features` custom section (e.g. `+atomics`), or null when absent. */
  targetFeatures: string[] | null;
  /** The toolchain recognised, whether the build starts threads, on what evidence, how sure. */
  toolchain: Recognition;
  /** Human-readable findings, including every disagreement between target_features and the binary. */
  notes: string[];
}

export interface InspectOptions {
  /**
   * The text of the glue shipped beside the wasm (its `.js`/`.mjs` and worker scripts). Release
   * builds rename the wasm's imports; the glue still says how the build starts threads.
   */
  glue?: readonly string[] | undefined;
}

/**
 * Decodes a core WebAssembly module and says which thread model it follows and which
 * capabilities an engine needs to run it.
 * @throws InspectError on malformed or unsupported input (with the byte offset), or input over 64 MiB.
 *
 * @example
 * import { inspect } from 'weft';
 * const report = inspect(wasmBytes, { glue: [appJsText] });
 * report.model;      // 'sab'
 * report.requires;   // ['shared-memory', 'threads', 'workers', 'bulk-memory']
 * report.toolchain;  // { toolchain: 'emscripten', threads: 'spawns', evidence: [...], confidence: 'high' }
 */
export function inspect(bytes: Uint8Array, options: InspectOptions = {}): InspectReport {
  if (bytes.length > MAX_INSPECT_BYTES) {
    throw new InspectError(`input of ${bytes.length} bytes is over the 64 MiB limit`, MAX_INSPECT_BYTES);
  }
  const facts = readModule(bytes);
  const toolchain = recognise(facts, options.glue);
  const { model, requires, notes } = classify(facts, toolchain);
  return {
    model,
    requires,
    imports: facts.imports,
    exports: facts.exports,
    targetFeatures: facts.targetFeatures,
    toolchain,
    notes,
  };
}
