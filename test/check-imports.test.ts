/**
 * scripts/check-imports.mjs (`npm run check:imports`) on small source trees written here: it finds a
 * cycle and a src/server <-> src/sdk import, and passes a clean tree, so the CI step can fail.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = new URL('../scripts/check-imports.mjs', import.meta.url).pathname;
const roots: string[] = [];

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A temp project with these files under src/, returned as its root. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'weft-imports-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    const file = join(root, 'src', path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return root;
}

function check(root: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, root], (error, out, err) =>
      resolve({ code: error ? (error.code as number) : 0, out, err }),
    );
  });
}

describe('check-imports', () => {
  it('finds a cycle through a type import, a multi-line import and a dynamic import', async () => {
    const root = tree({
      'a/one.ts': "import type { B } from './two.js';\nexport type A = B;\n",
      'a/two.ts': "import {\n  c,\n} from '../b/three.js';\nexport type B = typeof c;\n",
      'b/three.ts': "export const c = 1;\nexport const load = () => import('../a/one.js');\n",
      'a/one.test.ts': "import '../b/three.js';\n",
    });
    const got = await check(root);
    expect(got.code).toBe(1);
    expect(got.err).toContain('cycle: src/a/one.ts -> src/a/two.ts -> src/b/three.ts -> src/a/one.ts');
  });

  it('finds an import from src/server into src/sdk and back', async () => {
    const root = tree({
      'server/route.ts': "export type { W } from '../sdk/wire.js';\n",
      'sdk/wire.ts': 'export type W = string;\n',
      'sdk/load.ts': "import '../server/index.js';\n",
      'server/index.ts': 'export {};\n',
    });
    const got = await check(root);
    expect(got.code).toBe(1);
    expect(got.err).toContain('src/server imports src/sdk: src/server/route.ts -> src/sdk/wire.ts');
    expect(got.err).toContain('src/sdk imports src/server: src/sdk/load.ts -> src/server/index.ts');
  });

  it('passes a tree without either, ignoring imports in comments and in tests', async () => {
    const root = tree({
      'profile/wire.ts': "// import { x } from '../sdk/load.js';\nexport type W = string;\n",
      'sdk/load.ts': "import type { W } from '../profile/wire.js';\nexport type L = W;\n",
      'server/route.ts':
        "/** @example import { load } from '../sdk/load.js'; */\nimport type { W } from '../profile/wire.js';\nexport type R = W;\n",
      'server/route.test.ts': "import '../sdk/load.js';\n",
    });
    const got = await check(root);
    expect(got).toMatchObject({ code: 0, err: '' });
    expect(got.out).toContain('3 files, no cycle');
  });

  it('passes this repository', async () => {
    const got = await check(new URL('..', import.meta.url).pathname);
    expect(got.err).toBe('');
    expect(got.code).toBe(0);
  });
});
