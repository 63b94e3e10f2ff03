/**
 * A user's project that installs weft from its packed tarball (test/consumer.test.ts). Its other
 * dependencies (test/consumer/package.json, pinned by its lockfile) are installed once into
 * ~/.cache/weft/consumer/<hash of the lockfile> and copied from there; only the tarball is installed
 * by npm on each run, offline.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const ROOT = new URL('../..', import.meta.url).pathname;
const SPEC = join(ROOT, 'test', 'consumer');
const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'weft', 'consumer');

/** Runs a command to completion in `cwd`; rejects with its output when it fails. */
export async function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** The scratch project's dependencies, installed once per lockfile (`npm ci`, no scripts). */
async function cachedDependencies(): Promise<string> {
  const lock = readFileSync(join(SPEC, 'package-lock.json'));
  const dir = join(CACHE, createHash('sha256').update(lock).digest('hex').slice(0, 16));
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, 'installing-'));
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(SPEC, f), join(work, f));
  await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], work);
  writeFileSync(join(work, '.complete'), '');
  // Another run may have finished first: either copy is the same install.
  if (existsSync(dir)) rmSync(work, { recursive: true, force: true });
  else renameSync(work, dir);
  return dir;
}

/** `npm pack` of this checkout as built (no prepack rebuild): the tarball's path in `dest`. */
export async function packWeft(dest: string): Promise<string> {
  if (!existsSync(join(ROOT, 'dist', 'browser-lib')))
    throw new Error('dist/ is missing or stale: run `npm run build` first');
  const { stdout } = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dest],
    ROOT,
  );
  return join(dest, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
}

/** A fresh project in a temp folder: the cached dependencies copied in, weft's tarball installed by npm. */
export async function scratchProject(): Promise<string> {
  const deps = await cachedDependencies();
  const dir = mkdtempSync(join(tmpdir(), 'weft-consumer-'));
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(deps, f), join(dir, f));
  cpSync(join(deps, 'node_modules'), join(dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  const tarball = await packWeft(dir);
  // Offline: weft's own dependency is in the lockfile already; nothing is fetched.
  await run(
    'npm',
    ['install', '--no-save', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball],
    dir,
  );
  return dir;
}

/** A port free on 127.0.0.1 now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A long-running command in its own process group, resolved once its output matches `ready`. */
export async function startUntil(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs: number,
): Promise<{ child: ChildProcess; output: () => string; stop: () => Promise<void> }> {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: 'pipe' });
  let output = '';
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    // The whole group: wrangler starts workerd beside itself.
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${cmd} did not become ready in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code}) before it was ready:\n${output}`));
    });
  });
  return { child, output: () => output, stop };
}
