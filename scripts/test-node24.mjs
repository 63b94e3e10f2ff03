#!/usr/bin/env node
// The server, CLI and consumer tests again on Node 24 LTS, what most users run since Node 20's end
// of life (April 2026): vitest itself under the pinned Node 24 build (scripts/engines.mjs), so the
// server, the CLI it spawns (process.execPath) and the packed tarball all run there. The SDK's Node
// tests run their loader on Node 20 and 24 from the main run (test/sdk-node.test.ts).
// With WEFT_TEST_REPORT set, its JSON report goes beside that one (`<report>.node24.json`).
// Usage: node scripts/test-node24.mjs
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ENGINES, nodeBinary } from './engine-list.mjs';

export const FILES = ['test/http.test.ts', 'test/cli.test.ts', 'test/consumer.test.ts'];

const node24 = nodeBinary(ENGINES.find((e) => e.major === '24'));
if (!existsSync(node24)) {
  console.error(`Node 24 is not installed: run \`npm run engines -- 24\``);
  process.exit(1);
}
const report = process.env.WEFT_TEST_REPORT;
const files = FILES.filter((f) => existsSync(f));
console.log(`\nNode 24 (${node24}): ${files.join(' ')}`);
const { status } = spawnSync(
  node24,
  ['node_modules/vitest/vitest.mjs', 'run', '--project', 'node', ...files],
  {
    stdio: 'inherit',
    env: { ...process.env, ...(report ? { WEFT_TEST_REPORT: `${report}.node24.json` } : {}) },
  },
);
process.exit(status ?? 1);
