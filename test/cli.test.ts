import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = new URL('../dist/cli.js', import.meta.url).pathname;

/** Starts the built CLI and resolves with the URL it says it serves on. */
function start(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const url = /serving on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.once('exit', () => reject(new Error(`weft serve exited without serving: ${out}`)));
  });
}

describe('weft CLI (dist/cli.js, as `npm start` runs it)', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('serve starts an HTTP server on 127.0.0.1 whose /healthz answers {"status":"ok"}', async () => {
    const started = await start(['serve', '--port', '0']);
    child = started.child;
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${started.url}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('serve stops cleanly on SIGTERM', async () => {
    const started = await start(['serve', '--port', '0']);
    started.child.kill('SIGTERM');
    const [code] = await once(started.child, 'exit');
    expect(code).toBe(0);
  });

  it('refuses an unknown command with exit code 2 and the usage', async () => {
    const proc = spawn(process.execPath, [CLI, 'frobnicate'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d) => {
      err += d;
    });
    const [code] = await once(proc, 'exit');
    expect(code).toBe(2);
    expect(err).toMatch(/unknown command/);
    expect(err).toMatch(/usage: weft/);
  });

  it('probe --json prints this Node 20 profile: SAB threads and wasi-threads, no shared-everything', async () => {
    const proc = spawn(process.execPath, [CLI, 'probe', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
    });
    const [code] = await once(proc, 'exit');
    expect(code).toBe(0);
    const profile = JSON.parse(out) as { host: string; caps: string[] };
    expect(profile.host).toBe('node');
    expect(profile.caps.filter((c) => /thread|worker|^shared-memory$|^set-/.test(c))).toEqual([
      'shared-memory',
      'threads',
      'workers',
      'wasi-threads',
    ]);
  });
});
