/**
 * What a publisher declares about a variant, beside what inspection derived: capabilities to add
 * or remove, the thread model, optional threads, polyfills, the hosts it is for. One parser for every way in (the CLI's
 * flags, `PUT`'s query, the `weft.json` description file), so each gives the same errors, naming the
 * field. Pure.
 */
import {
  type Capability,
  isCapability,
  isVariantHost,
  normalizeCaps,
  THREAD_MODELS,
  type ThreadModel,
  VARIANT_HOSTS,
  type VariantHost,
} from '../profile/caps.js';
import { isPolyfill, type PolyfillName } from '../profile/polyfills.js';
import { THREAD_CAPS } from '../profile/select.js';

export interface VariantDeclaration {
  requires?: { add: Capability[]; remove: Capability[] };
  model?: ThreadModel;
  threads?: 'optional';
  polyfills?: PolyfillName[];
  /** The hosts the build is for (never served on another); absent: every host. */
  hosts?: VariantHost[];
}

/** A declaration that cannot be applied: unknown, malformed or contradictory. `field` names it. */
export class DeclarationError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'DeclarationError';
  }
}

const list = (value: unknown, field: string): string[] => {
  if (typeof value === 'string') return value.split(',').filter((s) => s.trim() !== '');
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value;
  throw new DeclarationError(field, 'must be a comma-separated string or an array of strings');
};

/**
 * Capability edits: `+simd,-bulk-memory` (a bare name adds). Unknown names and a capability both
 * added and removed are errors.
 */
export function parseRequiresEdit(
  value: unknown,
  field = 'requires',
): { add: Capability[]; remove: Capability[] } {
  const add: Capability[] = [];
  const remove: Capability[] = [];
  for (const item of list(value, field)) {
    const sign = item.trim()[0];
    const name = item.trim().replace(/^[+-]/, '');
    if (!isCapability(name)) throw new DeclarationError(field, `${safe(name)} is not a known capability`);
    (sign === '-' ? remove : add).push(name);
  }
  const both = add.find((c) => remove.includes(c));
  if (both) throw new DeclarationError(field, `${both} is both added and removed`);
  return { add, remove };
}

export function parseModel(value: unknown, field = 'model'): ThreadModel {
  if (typeof value !== 'string' || !(THREAD_MODELS as readonly string[]).includes(value))
    throw new DeclarationError(field, `must be one of ${THREAD_MODELS.join(', ')}`);
  return value as ThreadModel;
}

export function parseThreads(value: unknown, field = 'threads'): 'optional' {
  if (value !== 'optional') throw new DeclarationError(field, 'the only declaration is "optional"');
  return value;
}

export function parsePolyfills(value: unknown, field = 'polyfills'): PolyfillName[] {
  return list(value, field).map((name) => {
    if (!isPolyfill(name)) throw new DeclarationError(field, `${safe(name)} is not a known polyfill`);
    return name;
  });
}

/**
 * The hosts a build is for: `browser,worker` (or an array), at least one, each a host a profile
 * names (`unknown` is not one). Deduplicated, in the order of the contract's host list.
 */
export function parseHosts(value: unknown, field = 'hosts'): VariantHost[] {
  const names = list(value, field).map((s) => s.trim());
  for (const name of names)
    if (!isVariantHost(name))
      throw new DeclarationError(field, `${safe(name)} is not a host (one of ${VARIANT_HOSTS.join(', ')})`);
  if (names.length === 0) throw new DeclarationError(field, 'must name at least one host');
  return VARIANT_HOSTS.filter((h) => names.includes(h));
}

/**
 * Applies a declaration to what inspection found. A removal of a capability the build does not
 * require, and optional threads on a build that has none, are contradictions, not no-ops: they
 * say the publisher meant another build.
 */
export function applyDeclaration(
  found: { model: ThreadModel; requires: readonly Capability[] },
  declared: VariantDeclaration,
  at = '',
): { model: ThreadModel; requires: Capability[]; threads?: 'optional'; hosts?: VariantHost[] } {
  const field = (name: string) => (at ? `${at}.${name}` : name);
  const requires = new Set(found.requires);
  for (const cap of declared.requires?.remove ?? []) {
    if (!requires.has(cap))
      throw new DeclarationError(field('requires'), `-${cap}: the build does not require ${cap}`);
    requires.delete(cap);
  }
  for (const cap of declared.requires?.add ?? []) requires.add(cap);
  const model = declared.model ?? found.model;
  if (declared.threads === 'optional') {
    if (model === 'single')
      throw new DeclarationError(
        field('threads'),
        'optional threads need a threaded build (the model is single)',
      );
    if (![...requires].some((c) => THREAD_CAPS.includes(c)))
      throw new DeclarationError(field('threads'), 'optional threads need a build that requires threads');
  }
  return {
    model,
    requires: normalizeCaps(requires),
    ...(declared.threads ? { threads: declared.threads } : {}),
    ...(declared.hosts ? { hosts: declared.hosts } : {}),
  };
}

/** Parses a declaration given as an object (weft.json's variant entry, or gathered flags). */
export function parseDeclaration(raw: Record<string, unknown>, at = ''): VariantDeclaration {
  const field = (name: string) => (at ? `${at}.${name}` : name);
  const out: VariantDeclaration = {};
  if (raw.requires !== undefined) out.requires = parseRequiresEdit(raw.requires, field('requires'));
  if (raw.model !== undefined) out.model = parseModel(raw.model, field('model'));
  if (raw.threads !== undefined) out.threads = parseThreads(raw.threads, field('threads'));
  if (raw.polyfills !== undefined) out.polyfills = parsePolyfills(raw.polyfills, field('polyfills'));
  if (raw.hosts !== undefined) out.hosts = parseHosts(raw.hosts, field('hosts'));
  return out;
}

/** Names in errors are shown only when they are plain words: a message never echoes raw input. */
function safe(name: string): string {
  return /^[a-z0-9-]{1,40}$/.test(name) ? name : '(a name)';
}
