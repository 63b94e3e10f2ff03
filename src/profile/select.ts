import type { Capability, Host, ThreadModel, VariantHost } from './caps.js';

/** What selection needs of a variant (the manifest's variant record has more). */
export interface Selectable {
  name: string;
  requires: readonly Capability[];
  /**
   * `optional`: the build runs on one thread when the engine cannot start threads (onnxruntime-web
   * runs its threaded build single-threaded on pages that are not isolated). Its thread
   * requirements ({@link THREAD_CAPS}) then do not count against a profile.
   */
  threads?: 'optional';
  /**
   * The hosts the build is declared for (a threaded build whose own runtime check never starts
   * threads on Node hangs there). Absent: every host, `unknown` too.
   */
  hosts?: readonly VariantHost[];
  /** Its thread model: a `single` build never starts threads (absent: taken as one that may). */
  model?: ThreadModel;
}

/**
 * What selection reads of a profile: its capabilities and its host. Bare capabilities are a
 * profile whose host is `unknown`.
 */
export type ProfileInput = Iterable<Capability> | { host: Host; caps: Iterable<Capability> };

/**
 * What starting threads needs: a variant with optional threads still runs without them. Shared
 * memory is not among them: the binary declares it, so the engine must still validate it.
 */
export const THREAD_CAPS: readonly Capability[] = [
  'threads',
  'workers',
  'nested-workers',
  'wasi-threads',
  'set-threads',
];

export interface Rejection {
  variant: string;
  /** The required capabilities the profile lacks, in the variant's order. */
  missing: Capability[];
  /**
   * Present when the variant is declared for some hosts only and the profile's host is not one of
   * them: the hosts it is declared for.
   */
  hosts?: VariantHost[];
}

export interface Selection<V extends Selectable> {
  /** The first variant in preference order whose requirements the profile meets, or the fallback, or null. */
  chosen: V | null;
  /** True when `chosen` is the module's fallback, served although the profile lacks what it requires. */
  fallback: boolean;
  /**
   * Whether the chosen build may start threads here (the one place this is decided): false for a
   * single-threaded build, and for a variant with optional threads on a profile that lacks what
   * they need (it must run on one thread); true otherwise.
   */
  threads: boolean;
  /** Every variant before the chosen one (or every variant) with what it lacked. */
  rejected: Rejection[];
}

/** The required capabilities a profile lacks, not counting thread ones a variant can do without. */
export function missingFor(variant: Selectable, have: ReadonlySet<Capability>): Capability[] {
  const missing = variant.requires.filter((cap) => !have.has(cap));
  return variant.threads === 'optional' ? missing.filter((cap) => !THREAD_CAPS.includes(cap)) : missing;
}

/**
 * Whether a build may be served on a host: one declared for some hosts only is never served on
 * another, nor on a host nobody named (`unknown`): nothing says it runs there.
 */
export function runsOn(variant: Selectable, host: Host): boolean {
  return variant.hosts === undefined || (variant.hosts as readonly Host[]).includes(host);
}

function read(profile: ProfileInput): { host: Host; have: Set<Capability> } {
  return 'caps' in profile
    ? { host: profile.host, have: new Set(profile.caps) }
    : { host: 'unknown', have: new Set(profile) };
}

/**
 * The variants a profile can run, in preference order: what a loader may fall back on when the
 * chosen one fails to download or compile. The same rule as {@link select}, never a second copy.
 */
export function acceptable<V extends Selectable>(variants: readonly V[], profile: ProfileInput): V[] {
  const { host, have } = read(profile);
  return variants.filter((v) => runsOn(v, host) && missingFor(v, have).length === 0);
}

/** Whether the chosen variant may start threads on a profile (see {@link Selection.threads}). */
function threadsAllowed(variant: Selectable, have: ReadonlySet<Capability>): boolean {
  if (variant.model === 'single') return false;
  return variant.threads !== 'optional' || variant.requires.every((cap) => have.has(cap));
}

/**
 * The one selection rule, shared by server and SDK (contract.md): the first variant, in preference
 * order, declared for the profile's host (or for every host) whose required capabilities are all in
 * the profile. The fallback is served whatever the profile lacks, but never on a host it is not
 * declared for. Pure: no I/O, no clock.
 */
export function select<V extends Selectable>(
  variants: readonly V[],
  profile: ProfileInput,
  fallback?: string,
): Selection<V> {
  const { host, have } = read(profile);
  const rejected: Rejection[] = [];
  for (const variant of variants) {
    const missing = missingFor(variant, have);
    const here = runsOn(variant, host);
    if (here && missing.length === 0)
      return { chosen: variant, fallback: false, threads: threadsAllowed(variant, have), rejected };
    rejected.push({ variant: variant.name, missing, ...(here ? {} : { hosts: [...variant.hosts!] }) });
  }
  const marked =
    fallback === undefined ? undefined : variants.find((v) => v.name === fallback && runsOn(v, host));
  return {
    chosen: marked ?? null,
    fallback: marked !== undefined,
    threads: marked !== undefined && threadsAllowed(marked, have),
    rejected,
  };
}

/** Preference rank of a thread model when variants are ordered: the most capable first. */
export const MODEL_RANK: Record<ThreadModel, number> = {
  'shared-everything': 0,
  sab: 1,
  'wasi-threads': 2,
  single: 3,
};
