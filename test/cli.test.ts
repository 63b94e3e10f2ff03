import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from './harness/cli.js';

const DEMO = new URL('../fixtures/demo/', import.meta.url).pathname;
const tempStore = () => mkdtempSync(join(tmpdir(), 'weft-cli-'));

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
  // The server a test started, stopped after it (and forgotten, so no later test sees it).
  let child: ChildProcess | undefined;
  afterEach(async () => {
    const running = child;
    child = undefined;
    if (running && running.exitCode === null && running.signalCode === null) {
      const exited = once(running, 'exit');
      running.kill('SIGTERM');
      await exited;
    }
  });

  it('serve starts an HTTP server on 127.0.0.1 whose /healthz answers {"status":"ok"}', async () => {
    const started = await start(['serve', '--port', '0', '--store', tempStore()]);
    child = started.child;
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${started.url}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('serve stops cleanly on SIGTERM', async () => {
    const started = await start(['serve', '--port', '0', '--store', tempStore()]);
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

  it('serve on an empty store seeds the bundled demo and negotiates it: sab for threads, single for none', async () => {
    const started = await start(['serve', '--port', '0', '--store', tempStore()]);
    child = started.child;
    const sab = await fetch(`${started.url}/v1/modules/demo/wasm?caps=shared-memory,threads,workers`);
    expect(sab.headers.get('wasm-variant')).toBe('sab');
    expect(Buffer.from(await sab.arrayBuffer()).equals(readFileSync(join(DEMO, 'sab.wasm')))).toBe(true);
    const single = await fetch(`${started.url}/v1/modules/demo/wasm?caps=`);
    expect(single.headers.get('wasm-variant')).toBe('single');
    expect((await fetch(`${started.url}/v1/sdk.js`)).status).toBe(200);
  });

  it('serve refuses to start on a corrupt one-file manifest of an earlier version, naming the field', async () => {
    const dir = tempStore();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ schema: 1, modules: { demo: { version: '1', variants: [{ name: 'x' }] } } }),
    );
    const { code, err } = await runCli(['serve', '--port', '0', '--store', dir]);
    expect(code).toBe(2);
    expect(err).toMatch(/modules\.demo\.variants\[0\]\.model/);
    expect(err).not.toMatch(/at .*\.js:\d+/);
  });

  it("inspect --json reports each demo variant's thread model", async () => {
    const models: Record<string, string> = {};
    for (const v of ['set', 'sab', 'wasi-threads', 'single']) {
      const { code, out } = await runCli(['inspect', join(DEMO, `${v}.wasm`), '--json']);
      expect(code).toBe(0);
      models[v] = (JSON.parse(out) as { model: string }).model;
    }
    expect(models).toEqual({
      set: 'shared-everything',
      sab: 'sab',
      'wasi-threads': 'wasi-threads',
      single: 'single',
    });
  });

  it("publish <dir> --store writes content-addressed blobs and the module's record in preference order", async () => {
    const dir = tempStore();
    const { code, out } = await runCli(['publish', DEMO, '--store', dir, '--module', 'demo']);
    expect(code).toBe(0);
    // The folder's weft.json says which file is which variant, and its glue is read as evidence.
    expect(out).toMatch(
      /^ {2}sab: sab\.wasm with 4 more file\(s\): glue\/sab\.js, glue\/sab-worker\.js, glue\/job\.js, glue\/platform\.js \(as weft\.json says\)$/m,
    );
    expect(out).toMatch(/^demo\/sab: sab requires \[shared-memory threads workers\] sha256-[0-9a-f]{64}$/m);
    expect(out).toMatch(/^order: set > sab > wasi-threads > single$/m);
    const record = JSON.parse(readFileSync(join(dir, 'modules', 'demo.json'), 'utf8')) as {
      variants: { name: string; blob: string }[];
    };
    const variants = record.variants;
    expect(variants.map((v) => v.name)).toEqual(['set', 'sab', 'wasi-threads', 'single']);
    for (const v of variants) {
      const bytes = readFileSync(join(dir, 'blobs', `${v.blob}.wasm`));
      const { createHash } = await import('node:crypto');
      expect(`sha256-${createHash('sha256').update(bytes).digest('hex')}`).toBe(v.blob);
    }
  });
});
