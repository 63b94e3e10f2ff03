import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildEmccFixtures, INSTALL as EMCC_INSTALL, emccVersion } from '../../scripts/emcc-fixtures.mjs';
import { PACKAGES, packageDir } from '../../scripts/real-builds.mjs';

export { EMCC_INSTALL };
export const REAL_BUILDS_INSTALL = 'npm run fixtures:real';

/**
 * The folder of Debian-emcc builds of fixtures/c/primes.c (app/, release/, es6/), built now if the
 * cache lacks them; null when emcc is not installed.
 */
export function emccBuilds(): string | null {
  return emccVersion() ? buildEmccFixtures() : null;
}

/** A file of a real published build (`spec` as in scripts/real-builds.mjs), or null when not fetched. */
export function realBuild(spec: string, file: string): string | null {
  const kept = (f: string) => f === file || (f.endsWith('/') && file.startsWith(f));
  if (!PACKAGES.some((p) => p.spec === spec && p.files.some(kept)))
    throw new Error(`${spec} ${file} is not in scripts/real-builds.mjs`);
  const path = join(packageDir(spec), 'package', file);
  return existsSync(join(packageDir(spec), '.complete')) && existsSync(path) ? path : null;
}

/** The folder of real builds when every package was fetched, else null. */
export function realBuildsFetched(): boolean {
  return PACKAGES.every((p) => existsSync(join(packageDir(p.spec), '.complete')));
}
