export const SOURCE: string;
export const INSTALL: string;
export const BUILDS: { dir: string; out: string; flags: string[] }[];
export function emccVersion(): string | null;
export function cacheDir(): string;
export function buildEmccFixtures(options?: { log?: (line: string) => void }): string;
