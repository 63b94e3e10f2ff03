/**
 * A bounded soak on loopback: the Node entry (startServer, fs store seeded with the demo) runs in
 * a child process so its RSS can be read from /proc; autocannon drives the negotiated /wasm and
 * /resolve routes with several profiles, checking every answer's variant and digest as it goes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { encodeToken } from '../../src/profile/codec.js';
import { bundleScript } from '../harness/bundle.js';

const ROOT = new URL('../..', import.meta.url).pathname;

const SERVER = `
import { fsStore } from './src/registry/stores/fs.ts';
import { seedDemo } from './src/node/demo.ts';
import { nodeEncoders } from './src/node/encoders.ts';
import { startServer } from './src/node/serve.ts';
const [dir, root] = process.argv.slice(2);
const store = fsStore({ dir });
await seedDemo(store, nodeEncoders, root);
const server = await startServer({ store, port: 0 });
process.stdout.write(JSON.stringify({ url: server.url }) + '\\n');
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
`;

export interface SoakOptions {
  connections: number;
  /** Seconds of measured load, after the warm-up. */
  duration: number;
  /** Seconds of load before the first RSS reading. */
  warmup: number;
}

export interface SoakReport extends SoakOptions {
  requests: number;
  /** Connection errors, timeouts, non-2xx answers, and answers whose variant or digest was wrong. */
  errors: number;
  timeouts: number;
  non2xx: number;
  wrong: number;
  /** Lines the server wrote to stderr (it logs every failure it answers). */
  serverErrors: string[];
  p50: number;
  p99: number;
  rssWarmKb: number;
  rssEndKb: number;
  rssPeakKb: number;
  /** (end − warm) / warm. */
  rssGrowth: number;
}

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`soak: no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

const digestOf = (file: string) =>
  `sha-256=:${createHash('sha256')
    .update(readFileSync(join(ROOT, 'fixtures/demo', file)))
    .digest('base64')}:`;

/** The requests each connection cycles through, each with the answer it must get. */
function requests(onWrong: (why: string) => void) {
  const sab = 'shared-memory,threads,workers';
  const header = (h: Record<string, string | string[]>, name: string) =>
    Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
  const wasm = (path: string, variant: string, headers: Record<string, string> = {}) => ({
    path,
    headers,
    onResponse: (status: number, _body: string, _ctx: unknown, h: Record<string, string | string[]>) => {
      if (status !== 200) return;
      if (
        header(h, 'wasm-variant') !== variant ||
        header(h, 'content-digest') !== digestOf(`${variant}.wasm`)
      )
        onWrong(`${path}: expected ${variant}`);
    },
  });
  const resolve = (path: string, variant: string, headers: Record<string, string> = {}) => ({
    path,
    headers,
    onResponse: (status: number, body: string) => {
      if (status !== 200) return;
      const answer = JSON.parse(body) as { variant?: string };
      if (answer.variant !== variant) onWrong(`${path}: expected ${variant}`);
    },
  });
  const token = encodeToken({ host: 'node', caps: ['shared-memory', 'threads', 'workers', 'wasi-threads'] });
  return [
    wasm(`/v1/modules/demo/wasm?caps=${sab}`, 'sab'),
    resolve(`/v1/modules/demo/resolve?caps=${sab}`, 'sab'),
    wasm('/v1/modules/demo/wasm?caps=', 'single', { 'accept-encoding': 'br, gzip' }),
    resolve('/v1/modules/demo/resolve', 'single', { 'wasm-caps': 'simd,bulk-memory' }),
    wasm('/v1/modules/demo/wasm', 'sab', { 'wasm-caps': token }),
    resolve(`/v1/modules/demo/resolve?profile=${token}`, 'sab'),
    wasm('/v1/modules/demo/wasm', 'single', {
      'user-agent':
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
    }),
  ];
}

async function startChild(dir: string): Promise<{ child: ChildProcess; url: string; stderr: string[] }> {
  const script = await bundleScript(SERVER);
  const child = spawn(process.execPath, [script, dir, ROOT], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(...d.toString().split('\n').filter(Boolean)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`soak: server exited (${code}): ${stderr.join('\n')}`)));
  });
  return { child, url, stderr };
}

/** Runs the soak and reports; the caller decides which targets to hold it to. */
export async function soak(options: SoakOptions): Promise<SoakReport> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-soak-'));
  const { child, url, stderr } = await startChild(dir);
  const pid = child.pid!;
  let wrong = 0;
  const onWrong = () => {
    wrong++;
  };
  try {
    // autocannon's instance is a thenable, not a Promise: wrap it.
    const load = (duration: number) =>
      Promise.resolve(
        autocannon({
          url,
          connections: options.connections,
          duration,
          timeout: 10,
          requests: requests(onWrong),
        }),
      );
    const warm = await load(options.warmup);
    const rssWarmKb = rssKb(pid);
    let rssPeakKb = rssWarmKb;
    const sampler = setInterval(() => {
      rssPeakKb = Math.max(rssPeakKb, rssKb(pid));
    }, 250);
    const run = await load(options.duration).finally(() => clearInterval(sampler));
    const rssEndKb = rssKb(pid);
    return {
      ...options,
      requests: run.requests.total,
      errors: warm.errors + run.errors + warm.timeouts + run.timeouts + warm.non2xx + run.non2xx + wrong,
      timeouts: warm.timeouts + run.timeouts,
      non2xx: warm.non2xx + run.non2xx,
      wrong,
      serverErrors: stderr,
      p50: run.latency.p50,
      p99: run.latency.p99,
      rssWarmKb,
      rssEndKb,
      rssPeakKb,
      rssGrowth: (rssEndKb - rssWarmKb) / rssWarmKb,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}
