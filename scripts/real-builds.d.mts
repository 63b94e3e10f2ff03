export const PACKAGES: { spec: string; files: string[] }[];
export function realBuildsDir(): string;
export function packageDir(spec: string): string;
export function fetchRealBuilds(options?: { log?: (line: string) => void }): string;
