import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emccBuilds } from './builds.js';

const FILES = ['app.js', 'app.wasm', 'app.worker.js'];

/**
 * The files of Debian emcc's `app/pthreads` build of fixtures/c/primes.c by path (the upload
 * protocol's real bundle), or undefined when emcc is not installed.
 */
export function emccPthreadsBuild(): Record<string, Uint8Array> | undefined {
  const builds = emccBuilds();
  if (!builds) return undefined;
  return Object.fromEntries(
    FILES.map((f) => [f, new Uint8Array(readFileSync(join(builds, 'app', 'pthreads', f)))]),
  );
}

/** The same, base64 per file, for code that runs inside workerd (which cannot read files): null without emcc. */
export function emccPthreadsBase64(): Record<string, string> | null {
  const build = emccPthreadsBuild();
  return build
    ? Object.fromEntries(Object.entries(build).map(([f, b]) => [f, Buffer.from(b).toString('base64')]))
    : null;
}
