/**
 * The names of docs/contract.md as code, one home each: a module or variant name, a version, the
 * store key a version is kept under, and a pinned reference (`app@1.2.0`). Pure, imported by the
 * registry, the server, the CLI and the SDK alike.
 */

/** A module or variant name: `[a-z0-9][a-z0-9._-]{0,63}`. */
export const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** What a refused name is told, naming the rule (never the input). */
export const NAME_RULE = 'must match [a-z0-9][a-z0-9._-]{0,63}';

/** A version: 1 to 64 of `[0-9A-Za-z.+-]` (semver and its `+build` suffixes fit). */
export const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;

/** What a refused version is told, naming the rule (never the input). */
export const VERSION_RULE = 'must be 1 to 64 of [0-9A-Za-z.+-]';

export const isName = (value: unknown): value is string => typeof value === 'string' && NAME.test(value);
export const isVersion = (value: unknown): value is string =>
  typeof value === 'string' && VERSION.test(value);

/**
 * A version as a store key segment: `[a-z0-9.-]` kept, any other character `_` and its two hex
 * digits (`1.0.0+1` → `1.0.0_2b1`, `RC` → `_52_43`). `_` is never kept, so two versions never
 * share a key, and the result passes the store's key rule after the `v` the key puts before it.
 */
export function encodeVersionKey(version: string): string {
  let out = '';
  for (const ch of version)
    out += /^[a-z0-9.-]$/.test(ch) ? ch : `_${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  return out;
}

/** A module reference: a name, and the version it pins (none: the current one). */
export interface ModuleRef {
  name: string;
  version?: string;
}

/**
 * Parses `app` or `app@1.2.0` (a pinned reference, as in `/v1/modules/app@1.2.0/resolve`); null
 * when either part breaks its rule.
 */
export function parseModuleRef(ref: string): ModuleRef | null {
  const at = ref.indexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  if (!NAME.test(name)) return null;
  if (at < 0) return { name };
  const version = ref.slice(at + 1);
  return VERSION.test(version) ? { name, version } : null;
}
