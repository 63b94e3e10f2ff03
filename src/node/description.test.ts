/**
 * `planFolder` on real folders (one temp folder per test): the layouts toolchains write, the
 * `weft.json` of the Emscripten guide, and every way a folder can be refused. A refused folder
 * publishes nothing: the store stays empty. The demo wasm files stand in for the builds: this tests
 * how a folder is read, not a toolchain.
 */
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readModules } from '../registry/catalog.js';
import { DeclarationError } from '../registry/declaration.js';
import { publishSet } from '../registry/publish.js';
import type { Store } from '../registry/store.js';
import { memoryStore } from '../registry/stores/memory.js';
import { glueBeside, planFile, planFolder, stemOf } from './description.js';

const DEMO = (name: 'sab' | 'wasi-threads' | 'single') =>
  new URL(`../../fixtures/demo/${name}.wasm`, import.meta.url).pathname;
const GUIDE = new URL('../../docs/guides/emscripten-pthreads.md', import.meta.url).pathname;

/** The weft.json of docs/guides/emscripten-pthreads.md, word for word (checked against the guide below). */
const GUIDE_WEFT_JSON = {
  module: 'app',
  version: '1.0.0',
  order: ['pthreads', 'simd', 'plain'],
  fallback: 'plain',
  variants: [
    { name: 'pthreads', file: 'pthreads/app.wasm', glue: ['pthreads/app.js', 'pthreads/app.worker.js'] },
    { name: 'simd', file: 'simd/app.wasm', glue: 'simd/app.js' },
    { name: 'plain', file: 'plain/app.wasm', glue: 'plain/app.js' },
  ],
};

/** Glue as Emscripten writes it, reduced to the markers that say what the build does. */
const PTHREADS_GLUE = 'var ENVIRONMENT_IS_PTHREAD = false; var wasmBinaryFile = "app.wasm";';
const PLAIN_GLUE = 'var wasmBinaryFile = "app.wasm";';
const WORKER_GLUE = '// pthread worker: imports the glue and waits for a message';

/** Characters a message never shows: any of them means raw input was echoed. */
const RAW = /[<>'`$\\]|[^\x20-\x7e]/;

let tmp: string;
/** The folder a test publishes: named `app`, a valid module name (mkdtemp's suffix has capitals). */
let root: string;
let store: Store;

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'weft-description-'));
  root = join(tmp, 'app');
  mkdirSync(root);
  store = memoryStore();
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, content: string | Uint8Array, base = root): string {
  const path = join(base, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}
const copy = (rel: string, demo: Parameters<typeof DEMO>[0], base = root) =>
  write(rel, readFileSync(DEMO(demo)), base);
const describeAs = (data: unknown) => write('weft.json', JSON.stringify(data));
/** A file of `size` bytes that takes no disk (sparse): for the size limits. */
function sparse(rel: string, size: number): void {
  write(rel, '');
  truncateSync(join(root, rel), size);
}

/** The three builds of the guide, as emcc wrote them, one folder each. */
function guideBuilds(): void {
  copy('pthreads/app.wasm', 'sab');
  write('pthreads/app.js', PTHREADS_GLUE);
  write('pthreads/app.worker.js', WORKER_GLUE);
  copy('simd/app.wasm', 'wasi-threads');
  write('simd/app.js', PLAIN_GLUE);
  copy('plain/app.wasm', 'single');
  write('plain/app.js', PLAIN_GLUE);
}

/** What `weft publish <dir>` does: plan the folder, then publish the plan. */
async function publishFolder(dir = root) {
  const plan = planFolder(dir);
  return { plan, result: await publishSet(store, plan) };
}

/** The grouping's line for each variant, without the indented lines on its entry. */
const variantLines = (plan: { grouping: string[] }) => plan.grouping.filter((l) => !l.startsWith(' '));

async function manifest() {
  const all = await readModules(store);
  return Object.keys(all.modules).length ? all : null;
}

/** Publishing the folder is refused with an error naming `field`, and nothing reaches the store. */
async function expectRefused(
  field: string | RegExp,
  problem?: RegExp,
  dir = root,
): Promise<DeclarationError> {
  let error: unknown;
  try {
    planFolder(dir);
  } catch (err) {
    error = err;
  }
  expect(error, 'planFolder refuses the folder').toBeInstanceOf(DeclarationError);
  const err = error as DeclarationError;
  if (typeof field === 'string') expect(err.field).toBe(field);
  else expect(err.field).toMatch(field);
  expect(err.message.startsWith(`${err.field}: `)).toBe(true);
  if (problem) expect(err.message).toMatch(problem);
  expect(err.message).not.toMatch(RAW);
  await expect(publishFolder(dir)).rejects.toBeInstanceOf(DeclarationError);
  expect(await store.list()).toEqual([]);
  return err;
}

describe('planFolder: folders without a description', () => {
  it('takes one build per subfolder, each with the glue emcc wrote beside its wasm', async () => {
    guideBuilds();
    mkdirSync(join(root, 'docs'));
    write('docs/readme.txt', 'not a build');
    copy('.cache/stale.wasm', 'single');
    const { plan, result } = await publishFolder();
    expect(plan.module).toBe('app');
    expect(plan.variants.map((v) => v.variant)).toEqual(['plain', 'pthreads', 'simd']);
    expect(plan.variants[1]!.bytes).toEqual(new Uint8Array(readFileSync(DEMO('sab'))));
    expect(variantLines(plan)[1]).toMatch(
      /^pthreads: pthreads\/app\.wasm .*app\.js.*app\.worker\.js.*one build per subfolder/,
    );
    expect(plan.grouping.join('\n')).not.toMatch(/stale|readme/);
    // The glue was read as evidence: it says this build starts pthreads.
    const pthreads = result.published.find((p) => p.variant.name === 'pthreads')!;
    expect(pthreads.report.toolchain.threads).toBe('spawns');
    expect(pthreads.report.toolchain.evidence.join(' ')).toMatch(/glue/);
  });

  it('pairs flat files by name: app.wasm with app.js and app.worker.js, and nothing else', async () => {
    copy('app.wasm', 'sab');
    write('app.js', PTHREADS_GLUE);
    write('app.worker.js', WORKER_GLUE);
    write('analytics.js', 'unrelated');
    write('notes.txt', 'unrelated');
    const { plan, result } = await publishFolder();
    expect(plan.variants.map((v) => v.variant)).toEqual(['app']);
    expect(variantLines(plan)[0]).toMatch(/^app: app\.wasm .*app\.js.*app\.worker\.js.*files named alike/);
    expect(variantLines(plan)[0]).not.toMatch(/analytics/);
    expect(result.published[0]!.report.toolchain.threads).toBe('spawns');
  });

  it("takes a wasm-bindgen pkg's snippets/ into its bundle: its glue imports them by relative path", async () => {
    copy('x_bg.wasm', 'single');
    write('x.js', "import { f } from './snippets/crate-0123/inline0.js'; export function __wbg_init() {}");
    mkdirSync(join(root, 'snippets', 'crate-0123'), { recursive: true });
    write('snippets/crate-0123/inline0.js', 'export function f() {}');
    write('README.md', 'not part of the build');
    const { plan } = await publishFolder();
    expect(plan.variants[0]!.bundle!.files.map((f) => f.path).sort()).toEqual([
      'snippets/crate-0123/inline0.js',
      'x.js',
      'x_bg.wasm',
    ]);
  });

  it("names a wasm-bindgen build after its glue: x_bg.wasm with x.js is the build 'x'", async () => {
    copy('x_bg.wasm', 'single');
    write('x.js', 'export function __wbg_init() {}');
    copy('y.wasm', 'single');
    const { plan } = await publishFolder();
    expect(plan.variants.map((v) => v.variant)).toEqual(['x', 'y']);
    expect(variantLines(plan)[0]).toMatch(/^x: x_bg\.wasm .*x\.js/);
    expect(variantLines(plan)[1]).toMatch(/^y: y\.wasm /);
    expect(variantLines(plan)[1]).not.toMatch(/x\.js/);
  });

  it('publishes a single wasm file with the glue named like it (planFile)', () => {
    copy('x_bg.wasm', 'single');
    write('x.js', 'export function __wbg_init() {}');
    write('x.mjs', 'export {}');
    const { input, grouping } = planFile(join(root, 'x_bg.wasm'));
    expect(input.variant).toBe('x');
    expect(input.bytes).toEqual(new Uint8Array(readFileSync(DEMO('single'))));
    expect(grouping[0]).toMatch(/^x: x_bg\.wasm .*x\.js.*x\.mjs/);
  });

  it('finds glue by the stem of the wasm file name', () => {
    for (const f of ['app.js', 'app.mjs', 'app.worker.js', 'app.cjs', 'app2.js', 'other.js', 'app.txt'])
      write(f, '');
    expect(glueBeside(root, 'app.wasm')).toEqual(['app.cjs', 'app.js', 'app.mjs', 'app.worker.js']);
    expect(stemOf('app.wasm')).toBe('app');
    expect(stemOf('pkg/x_bg.wasm')).toBe('x');
    expect(stemOf('a_bg_bg.wasm')).toBe('a_bg');
  });

  it('names the module after the folder unless told otherwise', () => {
    copy('app.wasm', 'single');
    expect(planFolder(root).module).toBe('app');
    expect(planFolder(root, 'renamed').module).toBe('renamed');
  });

  it('refuses a folder with no wasm file', async () => {
    write('readme.txt', 'nothing to publish');
    await expectRefused('(folder)', /holds no \.wasm file/);
  });

  it('refuses a folder whose name is not a module name, unless one is given', async () => {
    const odd = join(tmp, 'My App');
    mkdirSync(odd);
    copy('app.wasm', 'single', odd);
    await expectRefused('module', undefined, odd);
    expect(planFolder(odd, 'app').module).toBe('app');
  });

  it('refuses a subfolder holding two wasm files: nothing says which one is the build', async () => {
    copy('pthreads/app.wasm', 'sab');
    copy('pthreads/other.wasm', 'single');
    await expectRefused('pthreads/', /2 wasm files/);
  });

  it.each([
    ['Plain.wasm', 'Plain'],
    ['my build.wasm', '(a field)'],
    ['<img src=x>.wasm', '(a field)'],
  ])(
    'refuses the flat file %j: its name is not a variant name, and is shown only as a plain word',
    async (file, field) => {
      copy(file, 'single');
      await expectRefused(field, /not a valid variant name/);
    },
  );

  it('refuses a subfolder whose name is not a variant name', async () => {
    copy('My Build/app.wasm', 'single');
    await expectRefused('(a field)', /not a valid variant name/);
  });

  it('refuses a wasm in a subfolder that is a symlink', async () => {
    const outside = copy('elsewhere.wasm', 'sab', tmp);
    mkdirSync(join(root, 'plain'));
    symlinkSync(outside, join(root, 'plain', 'app.wasm'));
    await expectRefused('plain/app.wasm', /symlink/);
  });

  it('refuses glue in a subfolder that is a symlink', async () => {
    copy('plain/app.wasm', 'single');
    symlinkSync(write('elsewhere.js', PLAIN_GLUE, tmp), join(root, 'plain', 'app.js'));
    await expectRefused('plain/app.js', /symlink/);
  });

  it('refuses a wasm over the 64 MiB inspection limit', async () => {
    sparse('app.wasm', 64 * 1024 * 1024 + 1);
    await expectRefused('app.wasm', /over the 67108864-byte limit/);
  });

  // Found by these tests and fixed: symlinked entries were once skipped in silence (a build
  // published without its glue), and a subfolder build's file names reached the error's field.
  it('refuses a flat wasm that is a symlink instead of skipping it', async () => {
    copy('app.wasm', 'single');
    symlinkSync(copy('elsewhere.wasm', 'sab', tmp), join(root, 'fast.wasm'));
    await expectRefused('fast.wasm', /symlink/);
  });

  it('refuses flat glue that is a symlink instead of publishing the build without it', async () => {
    copy('app.wasm', 'sab');
    symlinkSync(write('elsewhere.js', PTHREADS_GLUE, tmp), join(root, 'app.js'));
    await expectRefused('app.js', /symlink/);
  });

  it('refuses a build subfolder that is a symlink instead of skipping it', async () => {
    copy('plain/app.wasm', 'single');
    copy('elsewhere/app.wasm', 'sab', tmp);
    symlinkSync(join(tmp, 'elsewhere'), join(root, 'pthreads'));
    await expectRefused(/^pthreads/, /symlink/);
  });

  it('never echoes an odd file name from a build subfolder', async () => {
    mkdirSync(join(root, 'plain'));
    symlinkSync(copy('elsewhere.wasm', 'single', tmp), join(root, 'plain', '<img src=x>.wasm'));
    const err = await expectRefused(/^plain\//, /symlink/);
    expect(err.message).not.toContain('<img');
  });
});

describe('planFolder: weft.json', () => {
  it('is the weft.json the Emscripten guide shows', () => {
    const guide = readFileSync(GUIDE, 'utf8');
    const block = /put a `weft\.json` in the folder:\s*```json\n([\s\S]*?)```/.exec(guide);
    expect(block, 'the guide shows a weft.json').not.toBeNull();
    expect(JSON.parse(block![1]!)).toEqual(GUIDE_WEFT_JSON);
  });

  it("publishes the guide's three builds as weft.json describes them: order, fallback, version, glue", async () => {
    guideBuilds();
    describeAs(GUIDE_WEFT_JSON);
    const { plan, result } = await publishFolder();
    expect(plan).toMatchObject({
      module: 'app',
      version: '1.0.0',
      order: ['pthreads', 'simd', 'plain'],
      fallback: 'plain',
    });
    expect(variantLines(plan)[0]).toMatch(
      /^pthreads: pthreads\/app\.wasm .*app\.js.*app\.worker\.js.*as weft\.json says/,
    );
    expect(variantLines(plan)[1]).toMatch(/^simd: simd\/app\.wasm .*app\.js/);
    const entry = (await manifest())!.modules.app!;
    expect(entry).toMatchObject({
      version: '1.0.0',
      fallback: 'plain',
      order: ['pthreads', 'simd', 'plain'],
    });
    expect(entry.variants.map((v) => v.name)).toEqual(['pthreads', 'simd', 'plain']);
    expect(result.ordering.hidden).toEqual([]);
    const sha = (f: string) =>
      createHash('sha256')
        .update(readFileSync(DEMO(f as 'sab')))
        .digest('hex');
    expect(entry.variants.map((v) => v.blob)).toEqual(
      ['sab', 'wasi-threads', 'single'].map((f) => `sha256-${sha(f)}`),
    );
    expect(result.published[0]!.report.toolchain.threads).toBe('spawns');
  });

  it('takes declarations and checks sha256 and bytes when they are written', async () => {
    copy('plain/app.wasm', 'single');
    const bytes = readFileSync(join(root, 'plain/app.wasm'));
    describeAs({
      variants: [
        {
          name: 'plain',
          file: 'plain/app.wasm',
          requires: '+simd',
          polyfills: ['wait-queue'],
          sha256: createHash('sha256').update(bytes).digest('hex'),
          bytes: bytes.length,
          source: 'src/app.c',
        },
      ],
    });
    await publishFolder();
    expect((await manifest())!.modules.app!.variants[0]).toMatchObject({
      name: 'plain',
      requires: ['simd'],
      polyfills: ['wait-queue'],
    });
  });

  it('accepts $schema, and takes "folder": "." as the described folder itself, without weft.json', async () => {
    guideBuilds();
    describeAs({
      $schema: 'https://weft.example/weft.schema.json',
      variants: [{ name: 'plain', file: 'plain/app.wasm', folder: '.', entry: 'plain/app.js' }],
    });
    const { plan } = await publishFolder();
    const bundle = plan.variants[0]!.bundle!;
    expect(bundle.wasmPath).toBe('plain/app.wasm');
    expect(bundle.entry).toBe('plain/app.js');
    expect(bundle.files.map((f) => f.path)).toContain('pthreads/app.worker.js');
    expect(bundle.files.map((f) => f.path)).not.toContain('weft.json');
    expect(plan.grouping[1]).toBe('  entry plain/app.js (as weft.json says)');
  });

  it('publishes a threaded build declared with optional threads', async () => {
    copy('pthreads/app.wasm', 'sab');
    describeAs({ variants: [{ name: 'pthreads', file: 'pthreads/app.wasm', threads: 'optional' }] });
    await publishFolder();
    expect((await manifest())!.modules.app!.variants[0]).toMatchObject({
      name: 'pthreads',
      threads: 'optional',
    });
  });

  describe('refuses, naming the field, and publishes nothing', () => {
    const one = (variant: Record<string, unknown>, module: Record<string, unknown> = {}) =>
      describeAs({ ...module, variants: [{ name: 'plain', file: 'plain/app.wasm', ...variant }] });
    beforeEach(() => {
      guideBuilds();
      write('outside.wasm', readFileSync(DEMO('single')), tmp);
    });

    it.each([
      ['../outside.wasm'],
      ['plain/../../outside.wasm'],
      ['/etc/passwd'],
      ['plain/app.wasm\u0000.js'],
    ])('a file path that leaves the folder: %j', async (file) => {
      one({ file });
      await expectRefused('variants[0].file', /must be a path inside the folder/);
    });

    it('an absolute path, even one inside the folder', async () => {
      one({ file: join(root, 'plain/app.wasm') });
      await expectRefused('variants[0].file', /inside the folder/);
    });

    it('a glue path that leaves the folder', async () => {
      one({ glue: ['plain/app.js', '../outside.wasm'] });
      await expectRefused('variants[0].glue[1]', /inside the folder/);
    });

    it('a wasm that is a symlink', async () => {
      symlinkSync(join(root, 'plain/app.wasm'), join(root, 'link.wasm'));
      one({ file: 'link.wasm' });
      await expectRefused('variants[0].file', /symlink/);
    });

    it('a wasm inside a symlinked folder', async () => {
      symlinkSync(join(root, 'plain'), join(root, 'linked'));
      one({ file: 'linked/app.wasm' });
      await expectRefused('variants[0].file', /symlink/);
    });

    it('glue that is a symlink', async () => {
      symlinkSync(join(root, 'plain/app.js'), join(root, 'plain/link.js'));
      one({ glue: 'plain/link.js' });
      await expectRefused('variants[0].glue[0]', /symlink/);
    });

    it('a weft.json that is a symlink', async () => {
      symlinkSync(write('weft.json', JSON.stringify(GUIDE_WEFT_JSON), tmp), join(root, 'weft.json'));
      await expectRefused('weft.json', /symlink/);
    });

    it('a wasm that does not exist', async () => {
      one({ file: 'plain/missing.wasm' });
      await expectRefused('variants[0].file', /does not exist/);
    });

    it('a wasm that is a folder', async () => {
      one({ file: 'plain' });
      await expectRefused('variants[0].file', /not a regular file/);
    });

    it('a wasm over the 64 MiB inspection limit', async () => {
      sparse('plain/big.wasm', 64 * 1024 * 1024 + 1);
      one({ file: 'plain/big.wasm' });
      await expectRefused('variants[0].file', /over the 67108864-byte limit/);
    });

    it('glue over the 16 MiB limit', async () => {
      sparse('plain/big.js', 16 * 1024 * 1024 + 1);
      one({ glue: ['plain/app.js', 'plain/big.js'] });
      await expectRefused('variants[0].glue[1]', /over the 16777216-byte limit/);
    });

    it('a weft.json over 1 MiB', async () => {
      sparse('weft.json', 1024 * 1024 + 1);
      await expectRefused('weft.json', /limit/);
    });

    it.each([
      [{ colour: 'red' }, 'colour'],
      [{ '<img src=x>': 1 }, '(a field)'],
    ])('an unknown field of the module: %j', async (extra, field) => {
      one({}, extra);
      await expectRefused(field, /is not a known field/);
    });

    it('an unknown field of the second variant', async () => {
      describeAs({
        variants: [
          { name: 'plain', file: 'plain/app.wasm' },
          { name: 'simd', file: 'simd/app.wasm', colour: 'blue' },
        ],
      });
      await expectRefused('variants[1].colour', /is not a known field/);
    });

    it('an unknown field with an odd name, shown only as "(a field)"', async () => {
      one({ 'colour\u202e<b>': 'x' });
      await expectRefused('variants[0].(a field)', /is not a known field/);
    });

    it('a sha256 that is not the file: a stale description', async () => {
      one({ sha256: createHash('sha256').update('another build').digest('hex') });
      await expectRefused('variants[0].sha256', /stale/);
    });

    it('a sha256 that is not 64 lowercase hex', async () => {
      one({ sha256: 'ABC' });
      await expectRefused('variants[0].sha256', /64 lowercase hex/);
    });

    it('a byte count that is not the file: a stale description', async () => {
      one({ bytes: 1 });
      await expectRefused('variants[0].bytes', /stale/);
    });

    it.each([['Plain'], ['-plain'], ['<img src=x>'], [7]])('a variant name %j', async (name) => {
      one({ name });
      await expectRefused('variants[0].name', /must match/);
    });

    it('a module name that is not one', async () => {
      one({}, { module: 'My App' });
      await expectRefused('module', /must match/);
    });

    it.each([
      [{ requires: '+simd,-simd' }, 'variants[0].requires', /both added and removed/],
      [{ requires: '+<script>' }, 'variants[0].requires', /\(a name\) is not a known capability/],
      [{ model: 'pthreads' }, 'variants[0].model', /must be one of/],
      [{ threads: 'sometimes' }, 'variants[0].threads', /optional/],
      [{ polyfills: 'atomics' }, 'variants[0].polyfills', /not a known polyfill/],
      [{ glue: [1] }, 'variants[0].glue', /array of strings/],
      [{ file: 3 }, 'variants[0].file', /inside the folder/],
    ])('a bad declaration %j', async (variant, field, problem) => {
      one(variant);
      await expectRefused(field, problem);
    });

    it.each([
      [{ fallback: 'gone' }, 'fallback', /one of the variants/],
      [{ version: 'v 1' }, 'version', /1 to 64/],
      [{ order: 'plain' }, 'order', /array of strings/],
    ])('a bad module field %j', async (module, field, problem) => {
      one({}, module);
      await expectRefused(field, problem);
    });

    it('a $schema that is not a string', async () => {
      one({}, { $schema: 3 });
      // Not through expectRefused: the field's own name has a `$`.
      expect(() => planFolder(root)).toThrowError(/^\$schema: must be a string/);
      await expect(publishFolder()).rejects.toBeInstanceOf(DeclarationError);
      expect(await store.list()).toEqual([]);
    });

    it.each([['..'], ['../app'], ['/etc']])('a folder outside the folder: %j', async (folder) => {
      one({ folder });
      await expectRefused('variants[0].folder', /inside the folder/);
    });

    it('a folder that does not hold the file', async () => {
      one({ folder: 'simd' });
      await expectRefused('variants[0].folder', /holding the file/);
    });

    it.each([
      ['{ not json', 'weft.json', /not valid JSON/],
      ['[]', 'weft.json', /must be an object/],
      ['{"variants": []}', 'variants', /non-empty array/],
      ['{"variants": ["plain"]}', 'variants[0]', /must be an object/],
    ])('a weft.json that is not a description: %j', async (text, field, problem) => {
      write('weft.json', text);
      await expectRefused(field, problem);
    });
  });

  describe('refuses contradictions when it publishes, and leaves the manifest as it was', () => {
    beforeEach(guideBuilds);

    it('removing a capability a build does not require', async () => {
      describeAs({
        variants: [
          { name: 'pthreads', file: 'pthreads/app.wasm' },
          { name: 'plain', file: 'plain/app.wasm', requires: '-simd' },
        ],
      });
      await expect(publishFolder()).rejects.toMatchObject({
        name: 'DeclarationError',
        field: 'variants[1].requires',
        message: 'variants[1].requires: -simd: the build does not require simd',
      });
      expect(await store.list()).toEqual([]);
    });

    it('optional threads on a single build', async () => {
      describeAs({
        variants: [
          { name: 'pthreads', file: 'pthreads/app.wasm', threads: 'optional' },
          { name: 'plain', file: 'plain/app.wasm', threads: 'optional' },
        ],
      });
      await expect(publishFolder()).rejects.toMatchObject({ field: 'variants[1].threads' });
      expect(await store.list()).toEqual([]);
    });

    it('an order that names a build the module does not have', async () => {
      describeAs({ ...GUIDE_WEFT_JSON, order: ['pthreads', 'gone'] });
      await expect(publishFolder()).rejects.toMatchObject({ field: 'order' });
      expect(await manifest()).toBeNull();
    });
  });
});
