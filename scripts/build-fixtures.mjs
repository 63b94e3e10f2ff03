// Assembles the demo module's four variants from fixtures/demo/src/*.wat into
// fixtures/demo/<variant>.wasm and writes fixtures/demo/weft.json.
//
//   node scripts/build-fixtures.mjs [--out <dir>]    (npm run build:fixtures)
//
// Reproducible: no name section, no timestamps, pinned assemblers, so every run writes the same
// bytes. The .wasm files are checked in; test/demo.test.ts rebuilds into a temp dir and compares.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import binaryen from 'binaryen';
import wabtInit from 'wabt';

const DEMO = fileURLToPath(new URL('../fixtures/demo/', import.meta.url));

/**
 * In preference order: a server gives an engine the first variant it can run. `features` are
 * exactly what each source may use, so an assembler refuses anything else.
 */
const VARIANTS = [
  { name: 'set', assembler: 'binaryen', features: ['Atomics', 'ReferenceTypes', 'GC', 'SharedEverything'] },
  { name: 'sab', assembler: 'wabt', features: { threads: true } },
  { name: 'wasi-threads', assembler: 'wabt', features: { threads: true } },
  { name: 'single', assembler: 'wabt', features: {} },
];

/** Each variant's glue: its entry first, then every file it imports or starts as a worker. */
const GLUE = {
  set: ['set.js', 'set-worker.js', 'job.js', 'platform.js'],
  sab: ['sab.js', 'sab-worker.js', 'job.js', 'platform.js'],
  'wasi-threads': ['wasi-threads.js', 'wasi-threads-worker.js', 'job.js', 'platform.js'],
  single: ['single.js', 'job.js'],
};

async function assembleWabt(file, wat, features) {
  const wabt = await wabtInit();
  const module = wabt.parseWat(file, wat, features);
  try {
    module.resolveNames();
    module.validate(features);
    return module.toBinary({
      log: false,
      canonicalize_lebs: true,
      relocatable: false,
      write_debug_names: false,
    }).buffer;
  } finally {
    module.destroy();
  }
}

function assembleBinaryen(file, wat, names) {
  const features = names.reduce((all, name) => all | binaryen.Features[name], 0);
  const module = binaryen.parseText(wat, features);
  try {
    module.setFeatures(features);
    if (!module.validate()) throw new Error(`${file}: binaryen rejects the module`);
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

/** Builds every variant into `out` and returns the manifest it wrote as weft.json. */
export async function buildFixtures(out = DEMO) {
  await mkdir(out, { recursive: true });
  const variants = [];
  for (const { name, assembler, features } of VARIANTS) {
    const source = `src/${name}.wat`;
    const wat = await readFile(join(DEMO, source), 'utf8');
    const bytes =
      assembler === 'wabt'
        ? await assembleWabt(source, wat, features)
        : assembleBinaryen(source, wat, features);
    await writeFile(join(out, `${name}.wasm`), bytes);
    variants.push({
      name,
      file: `${name}.wasm`,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      // Every file the glue loads travels in the variant's bundle; the bundle starts from the glue.
      glue: GLUE[name].map((f) => `glue/${f}`),
      entry: `glue/${name}.js`,
      source,
    });
  }
  const manifest = { module: 'demo', variants };
  await writeFile(join(out, 'weft.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const manifest = await buildFixtures(values.out ? resolve(values.out) : DEMO);
  for (const v of manifest.variants)
    console.log(`${v.file.padEnd(18)} ${String(v.bytes).padStart(5)} B  ${v.sha256}`);
}
