#!/usr/bin/env node
// Builds weft with esbuild: the library entries of package.json's `exports` (and again, for
// bundlers, the ones that run in browsers), the CLI, the browser bundles (probe, sdk) and the
// Workers bundle; emits declarations with tsc; prints each bundle's raw/gzip/brotli size; fails
// when the exports map and the built files disagree, or a browser build imports `node:`.
// Usage: node scripts/build.mjs [--quiet]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { EAGER_COMPILE } from './browser-bundle.mjs';

const quiet = process.argv.includes('--quiet');
const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

/** Library entries: one per `exports` subpath; dependencies stay external. */
const LIBRARY = {
  index: 'src/index.ts',
  detect: 'src/detect/index.ts',
  sdk: 'src/sdk/index.ts',
  emscripten: 'src/emscripten/index.ts',
  ffmpeg: 'src/ffmpeg/index.ts',
  onnxruntime: 'src/onnxruntime/index.ts',
  polyfill: 'src/polyfill/index.ts',
  server: 'src/server/index.ts',
  node: 'src/node/index.ts',
  'stores/memory': 'src/registry/stores/memory.ts',
  'stores/fs': 'src/registry/stores/fs.ts',
  'stores/r2': 'src/registry/stores/r2.ts',
  // `weft/worker` (createWorker); dist/worker.js is the Workers bundle below.
  'worker/index': 'src/worker/index.ts',
  // `weft/plugin`: esbuild and Vite plugins (Node, at build time).
  plugin: 'src/plugin/index.ts',
};
/**
 * The library entries that run in browsers, built again into dist/browser-lib for the `browser`
 * (and `default`) export condition: what a user's bundler (Vite, esbuild, webpack) takes.
 * WEFT_BROWSER_BUNDLE is defined `false` there: a boolean drops the Node paths (src/emscripten's
 * `import('./node.js')`, whose chunk imports node:fs), and `false` (unlike the `true` of the
 * self-contained bundles below) keeps the SDK's polyfills in the user's bundle, as a lazy chunk
 * loaded only when a variant needs one, rather than fetched from the weft server at run time:
 * the same version as the SDK, no script from a second origin for a CSP to allow, and it works
 * with a server started without the client scripts.
 */
const BROWSER_LIBRARY = ['detect', 'sdk', 'emscripten', 'polyfill', 'ffmpeg', 'onnxruntime'];
const BROWSER_LIB_DIR = 'browser-lib';
/** Self-contained bundles: what browsers and workerd load. */
const BUNDLES = {
  'browser/probe': { entry: 'src/detect/index.ts', platform: 'browser' },
  'browser/sdk': { entry: 'src/sdk/index.ts', platform: 'browser', define: { WEFT_BROWSER_BUNDLE: 'true' } },
  'browser/emscripten': {
    entry: 'src/emscripten/index.ts',
    platform: 'browser',
    define: { WEFT_BROWSER_BUNDLE: 'true' },
  },
  // For pages that bundle nothing: served from the page's own origin (weft/ffmpeg, weft/onnxruntime).
  'browser/ffmpeg': {
    entry: 'src/ffmpeg/index.ts',
    platform: 'browser',
    define: { WEFT_BROWSER_BUNDLE: 'true' },
  },
  'browser/onnxruntime': {
    entry: 'src/onnxruntime/index.ts',
    platform: 'browser',
    define: { WEFT_BROWSER_BUNDLE: 'true' },
  },
  worker: { entry: 'worker.ts', platform: 'browser', conditions: ['workerd', 'worker', 'browser'] },
};

const common = { absWorkingDir: root, bundle: true, format: 'esm', target: 'es2022', logLevel: 'warning' };
const [, browserLibrary] = await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: Object.entries(LIBRARY).map(([out, src]) => ({ in: src, out })),
    outdir: dist,
    platform: 'neutral',
    packages: 'external',
    external: ['node:*'],
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  }),
  esbuild.build({
    ...common,
    entryPoints: BROWSER_LIBRARY.map((name) => ({ in: LIBRARY[name], out: name })),
    outdir: join(dist, BROWSER_LIB_DIR),
    platform: 'browser',
    packages: 'external',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    define: { WEFT_BROWSER_BUNDLE: 'false' },
    // Dead branches folded away, names kept: the user's bundler minifies.
    minifySyntax: true,
    metafile: true,
  }),
  esbuild.build({
    ...common,
    entryPoints: { cli: 'src/node/bin.ts' },
    outdir: dist,
    platform: 'node',
    packages: 'external',
  }),
  // Each bundle on its own (so the SDK does not split the probe off into a shared chunk); the browser
  // ones with splitting, so the probe's opt-in deep checks load as dist/browser/chunks/deep-*.js.
  ...Object.entries(BUNDLES).map(([out, b]) =>
    esbuild.build({
      ...common,
      entryPoints: { [out]: b.entry },
      outdir: dist,
      splitting: out.startsWith('browser/'),
      chunkNames: 'browser/chunks/[name]-[hash]',
      platform: b.platform,
      conditions: b.conditions,
      define: b.define,
      minify: true,
      legalComments: 'none',
      banner: out.startsWith('browser/') ? { js: EAGER_COMPILE } : undefined,
    }),
  ),
]);
await buildPolyfillBundles();
writeAssetIndex();
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
shipModuleDeclarations();

checkExports();
checkBrowserLibrary(browserLibrary.metafile);
if (!quiet) printSizes();

/**
 * The `weft:*` module declaration (src/plugin/modules.d.ts) is ambient, so it must stay a script
 * (tsc treats every .ts file here as a module and emits no .d.ts of a .d.ts): copied beside the
 * plugin's declarations, which reference it, so `/// <reference types="weft/plugin" />` brings it.
 */
function shipModuleDeclarations() {
  const types = join(dist, 'types', 'plugin');
  cpSync(join(root, 'src', 'plugin', 'modules.d.ts'), join(types, 'modules.d.ts'));
  const index = join(types, 'index.d.ts');
  writeFileSync(index, `/// <reference path="./modules.d.ts" />\n${readFileSync(index, 'utf8')}`);
}

/** dist/browser/index.json: the client scripts by kind, read by Node and by the Worker (src/server/assets.ts). */
function writeAssetIndex() {
  const browser = join(dist, 'browser');
  const list = (sub) =>
    readdirSync(join(browser, sub))
      .filter((f) => f.endsWith('.js'))
      .sort();
  const index = {
    scripts: readdirSync(browser)
      .filter((f) => f.endsWith('.js'))
      .sort(),
    chunks: list('chunks'),
    polyfills: list('polyfills'),
  };
  writeFileSync(join(browser, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
}

/**
 * One self-contained ESM bundle per non-empty set of polyfill names (`/v1/polyfills.js?need=`),
 * carrying only those polyfills: 31 small files, named by the sorted names joined with '+'.
 */
async function buildPolyfillBundles() {
  const polyfills = {
    'shared-global': { file: 'shared-global', installer: 'installSharedGlobal' },
    'thread-bound-data': { file: 'thread-bound-data', installer: 'installThreadBoundData' },
    'thread-local-function': { file: 'thread-local-function', installer: 'installThreadLocalFunction' },
    'thread-local-global': { file: 'thread-local-global', installer: 'installThreadLocalGlobal' },
    'wait-queue': { file: 'wait-queue', installer: 'installWaitQueue' },
  };
  const names = Object.keys(polyfills).sort();
  const subsets = [];
  for (let mask = 1; mask < 1 << names.length; mask++) subsets.push(names.filter((_, i) => mask & (1 << i)));
  await Promise.all(
    subsets.map((subset) => {
      const installers = subset.map((n) => polyfills[n].installer);
      const needsImports = subset.some((n) => n.startsWith('thread-local'));
      const contents = [
        `import { installWith, ${installers.join(', ')} } from './src/polyfill/install.ts';`,
        ...subset.map((n) => `export * from './src/polyfill/${polyfills[n].file}.ts';`),
        needsImports ? `export { resolveImports, instantiate } from './src/polyfill/imports.ts';` : '',
        `const installers = { ${subset.map((n, i) => `'${n}': ${installers[i]}`).join(', ')} };`,
        `/** Installs this bundle's polyfills where the engine lacks them; see weft/polyfill. */`,
        `export const installPolyfills = (profile, needed = ${JSON.stringify(subset)}) => installWith(installers, profile, needed);`,
      ].join('\n');
      return esbuild.build({
        ...common,
        stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: `polyfills-${subset.join('+')}.ts` },
        outfile: join(dist, 'browser', 'polyfills', `${subset.join('+')}.js`),
        platform: 'browser',
        minify: true,
        legalComments: 'none',
      });
    }),
  );
}

/**
 * Every `exports` target exists and every built library entry is exported; each conditions object
 * (nested ones too) names `types` first and `default` last; each browser library entry is some
 * subpath's `browser` target.
 */
function checkExports() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const problems = [];
  const targets = new Set();
  const browserTargets = new Set();
  const walk = (where, target, condition) => {
    if (typeof target === 'string') {
      targets.add(join(root, target));
      if (condition === 'browser') browserTargets.add(join(root, target));
      if (!existsSync(join(root, target)))
        problems.push(`${where} names ${target}, which the build did not make`);
      return;
    }
    const keys = Object.keys(target);
    if (keys[0] !== 'types') problems.push(`${where}: "types" must come first`);
    if (keys.includes('default') && keys.at(-1) !== 'default')
      problems.push(`${where}: "default" must come last`);
    for (const [key, value] of Object.entries(target)) walk(`${where}.${key}`, value, key);
  };
  for (const [subpath, target] of Object.entries(pkg.exports))
    walk(`exports["${subpath}"]`, target, 'default');
  for (const name of Object.keys(LIBRARY)) {
    const file = join(dist, `${name}.js`);
    if (!targets.has(file))
      problems.push(`built library entry ${relative(root, file)} is missing from exports`);
  }
  for (const name of BROWSER_LIBRARY) {
    const file = join(dist, BROWSER_LIB_DIR, `${name}.js`);
    if (!browserTargets.has(file))
      problems.push(`browser library entry ${relative(root, file)} is no subpath's "browser" target`);
  }
  for (const [name, file] of Object.entries(pkg.bin ?? {})) {
    if (!existsSync(join(root, file)))
      problems.push(`bin "${name}" names ${file}, which the build did not make`);
  }
  if (problems.length) {
    console.error(`build: the exports map and the built files disagree:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
}

/** The browser library must bundle for browsers: no file of it may import a `node:` module. */
function checkBrowserLibrary(metafile) {
  const problems = Object.entries(metafile.outputs).flatMap(([file, out]) =>
    out.imports.filter((i) => i.path.startsWith('node:')).map((i) => `${file} imports ${i.path}`),
  );
  if (problems.length) {
    console.error(`build: the browser library imports Node modules:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
}

function printSizes() {
  const files = [
    ...Object.keys(BUNDLES).map((n) => `${n}.js`),
    ...Object.keys(LIBRARY).map((n) => `${n}.js`),
    ...BROWSER_LIBRARY.map((n) => `${BROWSER_LIB_DIR}/${n}.js`),
    'cli.js',
    ...readdirSync(join(dist, 'chunks')).map((f) => `chunks/${f}`),
    ...readdirSync(join(dist, 'browser', 'polyfills'))
      .filter((f) => !f.includes('+'))
      .map((f) => `browser/polyfills/${f}`),
  ];
  const rows = files.map((f) => {
    const bytes = readFileSync(join(dist, f));
    return [
      `dist/${f}`,
      bytes.length,
      gzipSync(bytes, { level: 9 }).length,
      brotliCompressSync(bytes).length,
    ];
  });
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(
    `${'bundle'.padEnd(width)}  ${'raw'.padStart(8)}  ${'gzip'.padStart(8)}  ${'brotli'.padStart(8)}`,
  );
  for (const [name, raw, gz, br] of rows) {
    console.log(
      `${name.padEnd(width)}  ${String(raw).padStart(8)}  ${String(gz).padStart(8)}  ${String(br).padStart(8)}`,
    );
  }
}
