export interface EngineSpec {
  major: string;
  version: string;
}
export const ENGINES: EngineSpec[];
export function cacheRoot(): string;
export function engineDir(engine: EngineSpec): string;
export function nodeBinary(engine: EngineSpec): string;
