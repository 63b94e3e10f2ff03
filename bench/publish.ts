/**
 * Figure 9: publishing a 32 MB build, over the CLI and over `PUT`. Candidate: `weft publish` (a
 * fresh process, fs store) and a `PUT` to the Node entry until its 201 (its precompressed copies
 * are made after the answer; the time until they are recorded is reported beside). Baselines, in
 * the same run: the bytes written to a file (the CLI's floor), and the same upload to a bare
 * `node:http` server that hashes the body with SHA-256 and answers (what a `PUT` may cost at most).
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer } from '../src/node/serve.js';
import { blobMetaKey } from '../src/registry/records.js';
import { fsStore } from '../src/registry/stores/fs.js';
import { bareUploadServer } from './bare-upload.js';
import { codeWasm } from './load-sizes.js';
import { median, ms, type Row, type Section } from './stats.js';

const root = new URL('..', import.meta.url).pathname;
const SIZE = 32_000_000;
const ROUNDS = 3;
const GOAL_MS = 10_000;
const TOKEN = 'bench-publish-token-0123456789';
const run = promisify(execFile);

const time = async (work: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await work();
  return performance.now() - t;
};

export async function publishBench(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-publish-'));
  const bare = await bareUploadServer();
  const bareUrl = bare.url;
  try {
    const samples = {
      cli: [] as number[],
      file: [] as number[],
      put: [] as number[],
      copies: [] as number[],
      bare: [] as number[],
    };
    for (let round = 0; round < ROUNDS; round++) {
      // A different build each round (content-addressed: the same bytes would be stored already).
      const bytes = codeWasm(SIZE, 1000 + round);
      const file = join(dir, `app-${round}.wasm`);
      writeFileSync(file, bytes);
      samples.file.push(await time(() => writeFile(join(dir, `copy-${round}.wasm`), bytes, { flush: true })));
      samples.cli.push(
        await time(() =>
          run(
            process.execPath,
            [
              join(root, 'dist/cli.js'),
              'publish',
              file,
              '--module',
              'app',
              '--store',
              join(dir, `cli-${round}`),
            ],
            {
              timeout: 120_000,
            },
          ),
        ),
      );
      const body = readFileSync(file);
      samples.bare.push(await time(async () => (await fetch(bareUrl, { method: 'PUT', body })).text()));
      const storeDir = join(dir, `put-${round}`);
      const server = await startServer({ store: fsStore({ dir: storeDir }), port: 0, publishToken: TOKEN });
      try {
        const t = performance.now();
        const res = await fetch(`${server.url}/v1/modules/app/variants/v${round}`, {
          method: 'PUT',
          body,
          headers: { Authorization: `Bearer ${TOKEN}` },
        });
        const answer = (await res.json()) as { variant?: { blob: string } };
        samples.put.push(performance.now() - t);
        if (res.status !== 201 || !answer.variant) throw new Error(`PUT answered ${res.status}`);
        // The copies are made after the answer: wait until the blob's record lists them.
        const store = fsStore({ dir: storeDir });
        const key = blobMetaKey(answer.variant.blob);
        for (;;) {
          const meta = await store.get(key);
          if (meta && new TextDecoder().decode(meta).includes('"encodings"')) break;
          if (performance.now() - t > 120_000) throw new Error('the copies were not recorded within 120 s');
          await new Promise((r) => setTimeout(r, 20));
        }
        samples.copies.push(performance.now() - t);
      } finally {
        await server.close();
      }
    }
    const row = (figure: string, value: number[], baseline: number[], goalMs?: number): Row => ({
      figure,
      value: ms(median(value)),
      baseline: ms(median(baseline)),
      ratio: median(value) / median(baseline),
      goal: goalMs === undefined ? 'reported' : `≤ ${goalMs / 1000} s`,
      ...(goalMs === undefined ? {} : { met: median(value) <= goalMs }),
    });
    const rows: Row[] = [
      row(
        '`weft publish` of a 32 MB build (fresh process, fs store) vs writing its bytes to a file',
        samples.cli,
        samples.file,
        GOAL_MS,
      ),
      row(
        '`PUT` of a 32 MB build, until its 201 vs the same upload hashed by bare node:http',
        samples.put,
        samples.bare,
        GOAL_MS,
      ),
      row(
        '`PUT`, until its precompressed copies are recorded (after the answer)',
        samples.copies,
        samples.bare,
      ),
    ];
    return {
      title: '9. Publishing a 32 MB build',
      method:
        `${ROUNDS} rounds, a different ${SIZE.toLocaleString('en-US')} B build each (a code section generated like ` +
        "section 8's), medians. CLI: `node dist/cli.js publish app.wasm --module app --store <fresh dir>`, wall " +
        'time of the whole process (inspection, hashing, blob, record, then gzip and brotli copies at the quality ' +
        'chosen by size). `PUT`: to `startServer` on a fresh fs store, until the 201 arrives; the copies are made ' +
        'after the answer (the Node entry finishes them before it closes). Baselines: the bytes written to a file ' +
        'with `writeFile(..., { flush: true })`, and the same upload to a bare `node:http` server that hashes the ' +
        'body with SHA-256 and answers.',
      rows,
      notes: [
        'What a `PUT` does beyond the upload and a hash, before it answers: it inspects the build (every section ' +
          'of the 32 MB code, to know its thread model and features), hashes it again through WebCrypto, writes ' +
          "the blob and its record, and commits the module's record by compare-and-swap; compression is no longer " +
          'inside the request.',
      ],
    };
  } finally {
    bare.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
