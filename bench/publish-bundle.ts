/**
 * Figure 9b: publishing a whole 32 MB build over HTTP. The build is ffmpeg.wasm's real
 * `@ffmpeg/core-mt@0.12.10` dist/esm (a 32 MB wasm, its glue and its pthread worker). Candidate:
 * `weft publish DIR --server URL` (a fresh process) to the Node entry on a fresh fs store, until it
 * exits: it asks which files the server lacks, uploads them, and commits. Baseline, in the same run:
 * the same files uploaded to a bare `node:http` server that hashes each body with SHA-256 and
 * answers. Then the glue alone is changed and the folder published again: the bytes it sends.
 */

import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { startServer } from '../src/node/serve.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { realBuild } from '../test/harness/builds.js';
import { bareUploadServer } from './bare-upload.js';
import { bytes, median, ms, type Row, type Section, times } from './stats.js';

const root = new URL('..', import.meta.url).pathname;
const ROUNDS = 3;
const GOAL_MS = 10_000;
const TOKEN = 'bench-publish-token-0123456789';
const run = promisify(execFile);

interface Summary {
  bytes: { total: number; uploaded: number };
  files: { total: number; uploaded: number };
}

/** `weft publish DIR --server URL --json`, a fresh process: its wall time and its summary. */
async function publishOver(dir: string, server: string): Promise<{ ms: number; summary: Summary }> {
  const t = performance.now();
  const { stdout } = await run(
    process.execPath,
    [join(root, 'dist/cli.js'), 'publish', dir, '--module', 'ffmpeg', '--server', server, '--json'],
    { timeout: 120_000, env: { ...process.env, WEFT_PUBLISH_TOKEN: TOKEN }, maxBuffer: 1 << 24 },
  );
  return { ms: performance.now() - t, summary: JSON.parse(stdout) as Summary };
}

export async function publishBundleBench(): Promise<Section> {
  const glue = realBuild('@ffmpeg/core-mt@0.12.10', 'dist/esm/ffmpeg-core.js');
  if (!glue) throw new Error('the real builds are not fetched: run npm run fixtures:real');
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-bundle-'));
  const bare = await bareUploadServer();
  const bareUrl = bare.url;
  try {
    const build = join(dir, 'build');
    cpSync(dirname(glue), build, { recursive: true });
    const files = readdirSync(build).map((f) => join(build, f));
    const total = files.reduce((n, f) => n + statSync(f).size, 0);
    const samples = { weft: [] as number[], bare: [] as number[] };
    let first: Summary | undefined;
    let again: Summary | undefined;
    let glueSize = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const t = performance.now();
      for (const f of files) await (await fetch(bareUrl, { method: 'PUT', body: readFileSync(f) })).text();
      samples.bare.push(performance.now() - t);
      const server = await startServer({
        store: fsStore({ dir: join(dir, `store-${round}`) }),
        port: 0,
        publishToken: TOKEN,
      });
      try {
        const published = await publishOver(build, server.url);
        samples.weft.push(published.ms);
        first = published.summary;
        if (round === ROUNDS - 1) {
          // Only the glue changes (a new build of the JavaScript around the same wasm).
          const changed = join(dir, 'changed');
          cpSync(build, changed, { recursive: true });
          appendFileSync(join(changed, 'ffmpeg-core.js'), '\n// rebuilt\n');
          glueSize = statSync(join(changed, 'ffmpeg-core.js')).size;
          again = (await publishOver(changed, server.url)).summary;
        }
      } finally {
        await server.close();
      }
    }
    if (!first || !again) throw new Error('no publish was measured');
    if (first.bytes.uploaded !== total)
      throw new Error(`the first publish sent ${first.bytes.uploaded} B of ${total} B`);
    const rows: Row[] = [
      {
        figure:
          '`weft publish DIR --server URL` of a 32 MB build (3 files) vs the same files uploaded to bare node:http',
        value: ms(median(samples.weft)),
        baseline: ms(median(samples.bare)),
        ratio: median(samples.weft) / median(samples.bare),
        goal: `≤ ${GOAL_MS / 1000} s`,
        met: median(samples.weft) <= GOAL_MS,
      },
      {
        figure: 'bytes sent when only the glue changed vs the whole build',
        value: bytes(again.bytes.uploaded),
        baseline: bytes(total),
        ratio: again.bytes.uploaded / total,
        goal: `= the glue (${bytes(glueSize)})`,
        met: again.bytes.uploaded === glueSize,
      },
    ];
    return {
      title: '9b. Publishing a whole 32 MB build over HTTP',
      method:
        `${ROUNDS} rounds, medians. The build: \`@ffmpeg/core-mt@0.12.10\` dist/esm as published on npm ` +
        `(${files.length} files, ${bytes(total)}). Candidate: \`node dist/cli.js publish DIR --module ffmpeg ` +
        '--server URL --json` (a fresh process) to `startServer` on a fresh fs store, wall time until it exits: ' +
        'it reads and hashes the folder, inspects the wasm with its glue, asks which files the server lacks ' +
        '(`POST /v1/uploads/missing`), uploads them (`PUT /v1/files/sha256-<hex>`, each checked against its ' +
        'hash), and commits (`POST /v1/modules/ffmpeg/commit`, which reads the files back, inspects and records ' +
        'the build). Baseline: each file uploaded by `fetch` to a bare `node:http` server that hashes the body ' +
        'with SHA-256 and answers. Then, on the last round, the glue gets one more line and the folder is ' +
        `published again to the same server: the bytes it uploaded, from its \`--json\` summary.`,
      rows,
      notes: [
        `First publish: ${first.files.uploaded} of ${first.files.total} files uploaded; republish with the glue ` +
          `changed: ${again.files.uploaded} of ${again.files.total} (${times(again.bytes.uploaded / total)} of the bytes).`,
        'What weft does beyond the upload: a fresh Node process, the SHA-256 of every file on the client, the ' +
          "inspection of the 32 MB wasm twice (the CLI's report and the server's commit), the server's own hash " +
          'of every upload before it is written, and the commit reading every file back to check it.',
      ],
    };
  } finally {
    bare.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
