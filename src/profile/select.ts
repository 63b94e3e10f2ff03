import type { Capability, ThreadModel } from './caps.js';

/** What selection needs of a variant (the manifest's variant record has more). */
export interface Selectable {
  name: string;
  requires: readonly Capability[];
}

export interface Rejection {
  variant: string;
  /** The required capabilities the profile lacks, in the variant's order. */
  missing: Capability[];
}

export interface Selection<V extends Selectable> {
  /** The first variant in preference order whose requirements the profile meets, or the fallback, or null. */
  chosen: V | null;
  /** True when `chosen` is the module's fallback, served although the profile lacks what it requires. */
  fallback: boolean;
  /** Every variant before the chosen one (or every variant) with what it lacked. */
  rejected: Rejection[];
}

/**
 * The one selection rule, shared by server and SDK (contract.md): the first variant, in preference
 * order, whose required capabilities are all in the profile. Pure: no I/O, no clock.
 */
export function select<V extends Selectable>(
  variants: readonly V[],
  caps: Iterable<Capability>,
  fallback?: string,
): Selection<V> {
  const have = new Set(caps);
  const rejected: Rejection[] = [];
  for (const variant of variants) {
    const missing = variant.requires.filter((cap) => !have.has(cap));
    if (missing.length === 0) return { chosen: variant, fallback: false, rejected };
    rejected.push({ variant: variant.name, missing });
  }
  const marked = fallback === undefined ? undefined : variants.find((v) => v.name === fallback);
  return { chosen: marked ?? null, fallback: marked !== undefined, rejected };
}

/** Preference rank of a thread model when a new variant is placed: the most capable first. */
export const MODEL_RANK: Record<ThreadModel, number> = {
  'shared-everything': 0,
  sab: 1,
  'wasi-threads': 2,
  single: 3,
};
