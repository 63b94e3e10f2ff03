/**
 * Child processes for the bench: servers and fresh heaps run apart from the load generator. A child
 * prints one JSON line when ready; it exits when its stdin closes, so nothing outlives the bench.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Child<T> {
  ready: T;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Runs `node ...nodeArgs script ...args` and waits (at most `timeoutMs`) for its first stdout line,
 * parsed as JSON.
 */
export function startChild<T>(
  script: string,
  args: string[],
  timeoutMs = 60_000,
  nodeArgs: string[] = [],
): Promise<Child<T>> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      child.stdin?.end();
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`child ${script} not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve({ ready: JSON.parse(line) as T, pid: child.pid!, stop });
      } catch {
        void stop();
        reject(new Error(`child ${script} printed ${line.slice(0, 200)}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child ${script} exited with ${code} before it was ready`));
    });
  });
}

/** The lines a child adds so it exits with its parent (stdin closes when the parent goes). */
export const EXIT_WITH_PARENT = `process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));`;

/**
 * A sample script's lines that count every `fetch` it makes from then on (`requests`) and the
 * Content-Length of each answer (`bytes`).
 */
export const COUNT_FETCHES = `let requests = 0;
let bytes = 0;
const plainFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
  requests++;
  const res = await plainFetch(...args);
  bytes += Number(res.headers.get('content-length') ?? 0);
  return res;
};`;

/** Runs `node script ...args` to its end (a fresh process per sample); its last stdout line, parsed as JSON. */
export function runSample<T>(script: string, args: string[], timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], { timeout: timeoutMs }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as T);
    });
  });
}
