import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** The built CLI, as `npx weft` runs it (needs `npm run build`). */
export const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI to completion under this Node; resolves with its exit code and output. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CliRun> {
  const proc = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    cwd,
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    err += d;
  });
  return once(proc, 'exit').then(([code]) => ({ code: code as number, out, err }));
}
