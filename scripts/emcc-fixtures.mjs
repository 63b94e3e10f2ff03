#!/usr/bin/env node
// Builds fixtures/c/primes.c with Debian's Emscripten into a cache folder outside the repository:
// the real toolchain output that weft's claims about Emscripten are tested on. One folder per
// flavour, one subfolder per build (the layout `weft publish <dir>` takes):
//   app/{pthreads,simd,plain}/      -O2, classic glue (pthreads adds app.worker.js)
//   release/{pthreads,plain}/       -O3: every wasm import renamed to a.<letters>; only the glue tells
//   es6/{pthreads,plain}/           -sEXPORT_ES6 glue (app.mjs)
// Keyed by the source, the flags and `emcc --version`: a build already there is not made again.
// Usage: node scripts/emcc-fixtures.mjs  (prints the folder). Needs:
//   apt-get install -y --no-install-recommends emscripten node-acorn
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE = join(ROOT, 'fixtures', 'c', 'primes.c');
export const INSTALL = 'apt-get install -y --no-install-recommends emscripten node-acorn';

const COMMON = [
  '-sMODULARIZE',
  '-sEXPORT_NAME=createApp',
  '-sEXPORTED_FUNCTIONS=_count_primes,_work_off_main,_build_kind',
];
const PTHREADS = ['-pthread', '-sPTHREAD_POOL_SIZE=4'];

/** Every build: its folder under the cache key, its output file, and its flags. */
export const BUILDS = [
  { dir: 'app/pthreads', out: 'app.js', flags: ['-O2', ...PTHREADS] },
  { dir: 'app/simd', out: 'app.js', flags: ['-O2', '-msimd128'] },
  { dir: 'app/plain', out: 'app.js', flags: ['-O2'] },
  { dir: 'release/pthreads', out: 'app.js', flags: ['-O3', ...PTHREADS] },
  { dir: 'release/plain', out: 'app.js', flags: ['-O3'] },
  { dir: 'es6/pthreads', out: 'app.mjs', flags: ['-O2', ...PTHREADS, '-sEXPORT_ES6'] },
  { dir: 'es6/plain', out: 'app.mjs', flags: ['-O2', '-sEXPORT_ES6'] },
];

// Debian puts acorn (which emcc's JS optimizer needs) under /usr/share/nodejs.
const env = {
  ...process.env,
  NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':'),
};

export function emccVersion() {
  try {
    return execFileSync('emcc', ['--version'], { env, encoding: 'utf8' }).split('\n')[0];
  } catch {
    return null;
  }
}

export function cacheDir() {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'weft', 'emcc');
}

/** Builds what is missing and returns the folder holding app/, release/ and es6/. */
export function buildEmccFixtures({ log = () => {} } = {}) {
  const version = emccVersion();
  if (!version) throw new Error(`emcc is not installed: run \`${INSTALL}\``);
  const key = createHash('sha256')
    .update(readFileSync(SOURCE))
    .update(JSON.stringify([COMMON, BUILDS]))
    .update(version)
    .digest('hex')
    .slice(0, 16);
  const root = join(cacheDir(), key);
  if (existsSync(join(root, '.complete'))) return root;
  // Built beside, then renamed: a crashed build never leaves a half-made folder under the key.
  const work = `${root}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  for (const b of BUILDS) {
    const dir = join(work, b.dir);
    mkdirSync(dir, { recursive: true });
    const started = Date.now();
    execFileSync('emcc', [SOURCE, ...b.flags, ...COMMON, '-o', join(dir, b.out)], { env, stdio: 'inherit' });
    log(`${b.dir}/${b.out}: ${b.flags.join(' ')} (${Date.now() - started} ms)`);
  }
  execFileSync('touch', [join(work, '.complete')]);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(dirname(root), { recursive: true });
  renameSync(work, root);
  return root;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = buildEmccFixtures({ log: (line) => console.log(`emcc: ${line}`) });
  console.log(root);
}
