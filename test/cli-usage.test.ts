/**
 * The CLI's usage contract (dist/cli.js, as `npx weft` runs it): `--version` prints the package's
 * version, `<command> --help` that command's usage with exit 0, and every usage error exits 2.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

function cli(args: string[], cwd?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd }, (error, out, err) =>
      resolve({ code: error ? (error.code as number) : 0, out, err }),
    );
  });
}

describe('weft CLI usage', () => {
  it.each([['--version'], ['-v'], ['version']])('`weft %s` prints the package version', async (flag) => {
    expect(await cli([flag])).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
  });

  it.each([
    ['serve', /^usage: weft serve .*--port/],
    ['inspect', /^usage: weft inspect <file\.wasm>/],
    ['publish', /^usage: weft publish <dir \| files\.wasm\.\.\.>/],
    ['probe', /^usage: weft probe .*--json/],
    ['init', /^usage: weft init worker \[--bucket NAME\]/],
    ['manifest', /^usage: weft manifest <module> --server URL \[--out FILE\]/],
    ['versions', /^usage: weft versions <module> \(--store DIR \| --server URL\) \[--json\]/],
    ['rollback', /weft rollback <module> <version> \(--store DIR \| --server URL\)/],
    ['remove', /weft remove <module> <version> \(--store DIR \| --server URL\)/],
    ['gc', /^usage: weft gc \(--store DIR \| --server URL\) \[--grace 1h\] \[--dry-run\]/],
  ])('`weft %s --help` prints that command usage and exits 0', async (command, usage) => {
    const got = await cli([command, '--help']);
    expect(got.code).toBe(0);
    expect(got.out).toMatch(usage);
  });

  it.each([
    [['serve', '--port']],
    [['inspect', '--glue']],
    [['publish', '--store']],
    [['serve', '--frobnicate']],
    [['probe', 'extra']],
    [['init']],
    [['init', 'server']],
    [['init', 'worker', '--bucket', 'Not_A_Bucket']],
    [['manifest', 'demo']],
    [['manifest', '--server', 'http://127.0.0.1:9']],
    [['manifest', 'demo', '--server', 'http://127.0.0.1:9', '--frobnicate']],
    [['frobnicate']],
    [['versions']],
    [['versions', 'app']],
    [['versions', 'app', '--store', 's', '--server', 'http://127.0.0.1:1']],
    [['rollback', 'app', '--store', 's']],
    [['remove', 'app', '1.0.0']],
    [['gc']],
    [['gc', '--store', 'a', '--server', 'http://b']],
    [['gc', '--store', 'a', '--grace', 'soon']],
    [[]],
  ])('`weft %j` is a usage error: exit 2', async (args) => {
    expect((await cli(args)).code).toBe(2);
  });

  it('`weft publish --version` refuses a version that breaks the rule as PUT does (exit 2), storing nothing', async () => {
    const store = join(mkdtempSync(join(tmpdir(), 'weft-version-')), 'store');
    const demo = new URL('../fixtures/demo', import.meta.url).pathname;
    const got = await cli(['publish', demo, '--store', store, '--version', 'a b']);
    expect(got.code).toBe(2);
    expect(got.err).toMatch(/^weft publish: --version: must be 1 to 64 of \[0-9A-Za-z\.\+-\]$/m);
    expect(existsSync(store)).toBe(false);
  });

  it('`weft init worker` refuses to overwrite wrangler.toml without --force (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-init-'));
    expect((await cli(['init', 'worker', '--dir', dir])).code).toBe(0);
    const again = await cli(['init', 'worker', '--dir', dir]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/wrangler\.toml and worker\.js exist/);
    expect((await cli(['init', 'worker', '--dir', dir, '--force', '--bucket', 'other'])).code).toBe(0);
    expect(readFileSync(join(dir, 'wrangler.toml'), 'utf8')).toMatch(/^bucket_name = "other"$/m);
  });
});
