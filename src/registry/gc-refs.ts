/**
 * What keeps content from garbage collection, pure (which keys gc sweeps and what names them is
 * records.ts): the references a record holds, read conservatively: any sha256 hex and any bundle
 * id anywhere in a record counts, so a field gc does not know of (a later schema, a versions
 * snapshot) can only keep more.
 */
import { contentOf } from './records.js';

/** What records refer to: content hashes (blobs and files alike) and bundle ids. */
export interface References {
  hexes: Set<string>;
  bundles: Set<string>;
}

export const noReferences = (): References => ({ hexes: new Set(), bundles: new Set() });

const SHA = /sha256-([0-9a-f]{64})/g;
const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;

/** Adds every reference found anywhere in a parsed record (its strings, at any depth) to `into`. */
export function collectReferences(value: unknown, into: References): void {
  if (typeof value === 'string') {
    for (const m of value.matchAll(SHA)) into.hexes.add(m[1]!);
    if (HEX64.test(value)) into.hexes.add(value);
    if (HEX32.test(value)) into.bundles.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectReferences(v, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) collectReferences(v, into);
  }
}

export const isReferenced = (key: string, refs: References): boolean => {
  const content = contentOf(key);
  if (content === null) return true;
  return 'hex' in content ? refs.hexes.has(content.hex) : refs.bundles.has(content.bundle);
};

/** A record's JSON, or a GcError naming the key (a root gc cannot read stops it). */
export function parseRecord(key: string, bytes: Uint8Array): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw new GcError('gc_root_invalid', `${key} is not valid JSON: gc stopped and deleted nothing`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new GcError('gc_root_invalid', `${key} is not a JSON object: gc stopped and deleted nothing`);
  return data as Record<string, unknown>;
}

/** Why gc did not run: another gc or a publish held the store, or a record it must read is broken. */
export class GcError extends Error {
  constructor(
    readonly code: 'gc_busy' | 'gc_root_invalid',
    message: string,
  ) {
    super(message);
    this.name = 'GcError';
  }
}
