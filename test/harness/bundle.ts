import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const root = new URL('../..', import.meta.url).pathname;

/**
 * Bundles a small ES module (given as source text, importing project files by path from the repo
 * root) into one self-contained file, so any engine can run it without a TypeScript loader.
 */
export async function bundleScript(
  source: string,
  options: { platform?: 'node' | 'browser' } = {},
): Promise<string> {
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: root, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: options.platform ?? 'node',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const file = join(await mkdtemp(join(tmpdir(), 'weft-bundle-')), 'script.mjs');
  await writeFile(file, result.outputFiles[0]!.contents);
  return file;
}

/** The same bundle as text, for serving to a browser page. */
export async function bundleText(source: string): Promise<string> {
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: root, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
