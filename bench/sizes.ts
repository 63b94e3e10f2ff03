/**
 * Figure 2: bundle sizes, raw / gzip -9 / brotli (quality 11), built the way scripts/build.mjs
 * builds the browser bundles (esbuild, minified, ESM, es2022), against wasm-feature-detect's own
 * ESM bundle.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { EAGER_COMPILE } from '../scripts/browser-bundle.mjs';
import { BASELINE_CAPS } from '../scripts/probes/baseline.js';
import { FEATURE_DETECTORS } from '../scripts/probes/features.js';
import { PROBE_SOURCES } from '../scripts/probes/sources.js';
import { POLYFILLS } from '../src/profile/polyfills.js';
import { bytes, type Row, type Section } from './stats.js';

const root = new URL('..', import.meta.url).pathname;
const WFD = 'node_modules/wasm-feature-detect/dist/esm/index.js';

interface Sizes {
  raw: number;
  gzip: number;
  brotli: number;
  /** Minified bytes per source file, largest first. */
  inputs: [string, number][];
}

function measure(code: Uint8Array, inputs: [string, number][] = []): Sizes {
  return {
    raw: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    brotli: brotliCompressSync(code).length,
    inputs,
  };
}

/**
 * One browser bundle as scripts/build.mjs makes it: splitting on (the probe's deep checks are a
 * separate chunk, fetched only for `probe({ deep: true })`), and for the SDK the define that keeps the
 * polyfills out (browsers fetch them from /v1/polyfills.js). Returns the entry and its chunks.
 */
async function bundle(
  entry: string,
  define: Record<string, string> = {},
  stubs: Record<string, string> = {},
): Promise<{ entry: Sizes; chunks: Sizes[] }> {
  // What-if builds: a source file (by its path under the root) replaced by other text.
  const stub: esbuild.Plugin = {
    name: 'stub',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        const text = stubs[relative(root, args.path)];
        return text === undefined ? undefined : { contents: text, loader: 'ts' };
      });
    },
  };
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    banner: { js: EAGER_COMPILE },
    splitting: true,
    outdir: '/out',
    define,
    plugins: [stub],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const sized = Object.entries(result.metafile.outputs).map(([path, output]) => {
    const inputs = Object.entries(output.inputs)
      .map(([file, info]) => [relative(root, join(root, file)), info.bytesInOutput] as [string, number])
      .sort((a, b) => b[1] - a[1]);
    const file = result.outputFiles.find((f) => f.path.endsWith(path.replace(/^.*\/out\//, '/')))!;
    return { isEntry: output.entryPoint === entry, sizes: measure(file.contents, inputs) };
  });
  return {
    entry: sized.find((o) => o.isEntry)!.sizes,
    chunks: sized.filter((o) => !o.isEntry).map((o) => o.sizes),
  };
}

const top = (s: Sizes, n: number) =>
  s.inputs
    .slice(0, n)
    .map(([f, b]) => `${f.replace(/^node_modules\//, '')} ${b.toLocaleString('en-US')}`)
    .join(', ');

export async function sizesBench(): Promise<Section> {
  const wfd = measure(readFileSync(join(root, WFD)));
  const rows: Row[] = [];
  const notes: string[] = [];
  const add = (figure: string, s: Sizes, goalKb?: number) =>
    rows.push({
      figure,
      value: `${bytes(s.raw)} / **${bytes(s.gzip)}** / ${bytes(s.brotli)}`,
      baseline: bytes(wfd.gzip),
      ratio: s.gzip / wfd.gzip,
      goal: goalKb === undefined ? '—' : `≤ ${goalKb} KB gzip (${goalKb * 1024} B)`,
      ...(goalKb === undefined ? {} : { met: s.gzip <= goalKb * 1024 }),
    });

  const probeBuild = await bundle('src/detect/index.ts');
  const probe = probeBuild.entry;
  add('probe (`weft/detect`, dist/browser/probe.js)', probe, 2);
  for (const chunk of probeBuild.chunks)
    add('probe deep checks (chunk, loaded only for `deep: true`)', chunk);
  const sdkSeparate = (await bundle('src/sdk/index.ts', { WEFT_BROWSER_BUNDLE: 'true' })).entry;
  add('SDK (probe + select + load; polyfills separate), dist/browser/sdk.js', sdkSeparate, 5);

  const missing: string[] = [];
  for (const name of POLYFILLS) {
    const file = `src/polyfill/${name}.ts`;
    if (existsSync(join(root, file))) add(`polyfill \`${name}\``, (await bundle(file)).entry);
    else missing.push(name);
  }
  if (existsSync(join(root, 'src/polyfill/index.ts')))
    add('all polyfills (`weft/polyfill`)', (await bundle('src/polyfill/index.ts')).entry);
  rows.push({
    figure: 'wasm-feature-detect 1.9.0, whole ESM bundle (baseline)',
    value: `${bytes(wfd.raw)} / **${bytes(wfd.gzip)}** / ${bytes(wfd.brotli)}`,
    baseline: bytes(wfd.gzip),
    ratio: 1,
    goal: '—',
  });
  if (missing.length) notes.push(`No file yet for polyfill(s): ${missing.join(', ')}.`);

  notes.push(`Largest parts of the probe (minified bytes before compression): ${top(probe, 6)}.`);
  notes.push(`Largest parts of the SDK without polyfills: ${top(sdkSeparate, 8)}.`);
  if (probe.gzip > 2048) {
    // Marginal costs, measured by building the probe without each part.
    const without = async (stubs: Record<string, string>) =>
      (await bundle('src/detect/index.ts', {}, stubs)).entry.gzip;
    // The modules' hex removed from the generated strings; the marks and member names stay.
    const bytesFile = readFileSync(join(root, 'src/detect/probe-bytes.ts'), 'utf8').replace(
      /(MODULES =\s*'|BASELINE = ')[^']*'/g,
      (text) => text.replace(/[0-9a-f]{6,}( [0-9a-f]{6,})?/g, ''),
    );
    const noCache = await without({
      'src/detect/cache.ts': 'export const profileCache = (_host: unknown): undefined => undefined;',
    });
    const noModules = await without({
      'src/detect/probe-bytes.ts': bytesFile,
    });
    const bare = await without({
      'src/detect/cache.ts': 'export const profileCache = (_host: unknown): undefined => undefined;',
      'src/detect/probe-bytes.ts': bytesFile,
    });
    notes.push(
      `What stands in the way of the probe goal, measured by building the probe without each part: the per-origin ` +
        `cache costs ${bytes(probe.gzip - noCache)} gzip; the module bytes (weft's own for ${Object.keys(PROBE_SOURCES).length} ` +
        `capabilities, one baseline module proving ${BASELINE_CAPS.length} features shipped everywhere since about 2021, and ` +
        `${Object.keys(FEATURE_DETECTORS).length - BASELINE_CAPS.length} of wasm-feature-detect's detectors, captured from it, all written as hex ` +
        `after one shared header, in one string in registry order) ${bytes(probe.gzip - noModules)}. Without the cache the probe is ${bytes(noCache)}` +
        `${noCache > 2048 ? ', still above 2 KB' : ''}; the code with neither cache nor module bytes is ${bytes(bare)}: ` +
        'host detection, the thread and shared-everything checks, the JS-API checks ' +
        'shared with the polyfill, the capability registry (src/profile/caps.ts: the 38 names, their order, ' +
        '`threadModel`) and the memo. Importing wasm-feature-detect instead cost 811 B gzip (measured at b3d9abe, its ' +
        `decimal arrays and one function per detector). Reaching 2 KB would take dropping capabilities (or their module bytes), not only the cache.`,
    );
  }
  if (sdkSeparate.gzip > 5 * 1024) {
    notes.push(
      `What stands in the way of the SDK goal: the SDK carries the whole probe (${bytes(probe.gzip)} gzip, above) ` +
        'plus the loader (src/sdk/load.ts: selection, negotiation, fallback, polyfill installation), streaming ' +
        'integrity verification (verify.ts), the profile token codec and the threads explainer; shrinking the ' +
        'probe shrinks the SDK by as much.',
    );
  }
  return {
    title: '2. Bundle sizes',
    method:
      'esbuild, minified ESM for browsers (es2022, no legal comments, splitting), as `npm run build` makes ' +
      'dist/browser/*.js; sizes raw / **gzip -9** / brotli q11. Baseline and ratio: gzip against ' +
      `wasm-feature-detect's whole published ESM bundle (${WFD}, already minified).`,
    rows,
    notes,
  };
}
