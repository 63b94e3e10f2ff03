/**
 * `weft publish <dir> --store S` on a real 30.7 MiB build (ffmpeg.wasm's single-threaded core, as
 * its package ships it) says on stderr what it is doing, step by step with sizes, and with `--json`
 * prints a summary on stdout that parses and matches what the store holds.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { REAL_BUILDS_INSTALL, realBuild } from './harness/builds.js';
import { describeWith } from './harness/require.js';

const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const WASM = realBuild('@ffmpeg/core@0.12.10', 'dist/esm/ffmpeg-core.wasm');

/** Runs `weft publish dir --module ffmpeg --store store [...extra]`: exit code, stdout, stderr. */
function publish(dir: string, store: string, extra: string[] = []) {
  return new Promise<{ code: number; out: string; err: string }>((done) => {
    execFile(
      process.execPath,
      [CLI, 'publish', dir, '--module', 'ffmpeg', '--store', store, ...extra],
      { maxBuffer: 1 << 24 },
      (error, out, err) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

/** The lines of `text` that match each pattern, in order; fails naming the first one missing. */
function inOrder(text: string, patterns: RegExp[]): void {
  let at = 0;
  for (const p of patterns) {
    const lines = text.split('\n');
    const i = lines.findIndex((l, n) => n >= at && p.test(l));
    expect(i, `no line matching ${p} after line ${at} of:\n${text}`).toBeGreaterThanOrEqual(0);
    at = i + 1;
  }
}

let store = '';
afterEach(() => rmSync(store, { recursive: true, force: true }));

describeWith('@ffmpeg/core 0.12.10 (real build)', WASM, REAL_BUILDS_INSTALL, (wasm) => {
  const dir = dirname(wasm);

  it('a --store publish of a 30.7 MiB build prints its steps with sizes on stderr and a --json summary on stdout', async () => {
    store = mkdtempSync(join(tmpdir(), 'weft-progress-'));
    const { code, out, err } = await publish(dir, store, ['--json']);
    expect(code, err).toBe(0);
    inOrder(err, [
      /^weft publish: ffmpeg: 1 build\(s\), 2 file\(s\) \(2 distinct, 30\.8 MiB\): inspecting and storing in /,
      /^ {2}ffmpeg-core: ffmpeg-core\.wasm 30\.7 MiB, ffmpeg-core\.js 109\.2 KiB$/,
      /^weft publish: ffmpeg 0\.0\.0 committed \(\d+\.\d s\); compressing the copies it lacks$/,
      /^ {2}compress ffmpeg-core: br 30\.7 MiB -> \d+\.\d MiB \(\d+\.\d s\)$/,
      /^ {2}compress ffmpeg-core: gzip 30\.7 MiB -> \d+\.\d MiB \(\d+\.\d s\)$/,
      /^weft publish: ffmpeg 0\.0\.0 stored in .*: 2 file\(s\) \(30\.8 MiB\), 2 compressed copies made \(\d+\.\d MiB\) in \d+\.\d s$/,
    ]);

    const summary = JSON.parse(out);
    const size = statSync(wasm).size;
    expect(summary).toMatchObject({
      store,
      module: 'ffmpeg',
      version: '0.0.0',
      variants: [{ name: 'ffmpeg-core', size }],
      files: { total: 2, distinct: 2 },
    });
    expect(summary.copies.map((c: { encoding: string }) => c.encoding)).toEqual(['br', 'gzip']);
    // Each copy the summary lists is in the store, at the size it says.
    const blob = summary.variants[0].blob as string;
    for (const c of summary.copies as { encoding: string; size: number }[]) {
      const path = join(store, 'blobs', `${blob}.wasm.${c.encoding === 'br' ? 'br' : 'gz'}`);
      expect(existsSync(path) && statSync(path).size).toBe(c.size);
      expect(c.size).toBeLessThan(size);
    }
  }, 120_000);

  it('without --json stdout holds the report alone, and a republish says it has no copy to make', async () => {
    store = mkdtempSync(join(tmpdir(), 'weft-progress-'));
    expect((await publish(dir, store)).code).toBe(0);
    const again = await publish(dir, store);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/^ffmpeg\/ffmpeg-core: single requires/m);
    expect(again.out).not.toMatch(/weft publish:|compress/);
    expect(again.err).not.toMatch(/compress ffmpeg-core/);
    expect(again.err).toMatch(
      /^weft publish: ffmpeg 0\.0\.0 stored in .*: 2 file\(s\) \(30\.8 MiB\), no compressed copy to make in /m,
    );
  }, 120_000);
});
