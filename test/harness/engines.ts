import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { ENGINES, nodeBinary } from '../../scripts/engine-list.mjs';

const run = promisify(execFile);

/** The JS engines weft's tests run scripts on: this machine's Node 20 and the pinned npm builds. */
export type EngineName = 'node20' | 'node22' | 'node24' | 'node26';

export interface Engine {
  name: EngineName;
  /** The binary, or null when it is not installed. */
  bin: string | null;
  /** The command that installs it. */
  install: string;
}

export function engine(name: EngineName): Engine {
  if (name === 'node20') {
    const ok = process.versions.node.startsWith('20.');
    return { name, bin: ok ? process.execPath : null, install: 'install Node 20 (the machine image has it)' };
  }
  const spec = ENGINES.find((e) => `node${e.major}` === name);
  if (!spec) throw new Error(`unknown engine ${name}`);
  const bin = nodeBinary(spec);
  return { name, bin: existsSync(bin) ? bin : null, install: `npm run engines -- ${spec.major}` };
}

export interface RunOptions {
  /** V8 or Node flags put before the script, e.g. `--experimental-wasm-shared`. */
  flags?: string[];
  args?: string[];
  timeoutMs?: number;
}

/**
 * Runs an ES module file under an engine and returns the JSON it printed on its last stdout line.
 * A script that exits non-zero or prints no JSON fails with its stderr attached.
 */
export async function runScript(name: EngineName, file: string, options: RunOptions = {}): Promise<unknown> {
  const { bin, install } = engine(name);
  if (!bin) throw new Error(`${name} is not installed: run \`${install}\``);
  const { stdout } = await run(bin, [...(options.flags ?? []), file, ...(options.args ?? [])], {
    timeout: options.timeoutMs ?? 30_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`${name} ${file} failed: ${err.stderr || err.message}`);
  });
  const last = stdout.trimEnd().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`${name} ${file} printed no JSON on its last line: ${last.slice(0, 200)}`);
  }
}
