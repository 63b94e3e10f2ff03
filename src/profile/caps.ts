/**
 * The capability vocabulary of contract.md, in bit-registry order. APPEND ONLY: a capability's
 * index is its bit in the compact profile token, shared by every client and server ever shipped.
 * Never reorder, rename or remove an entry; add new names at the end.
 */
export const CAPABILITIES = [
  // threads
  'shared-memory',
  'threads',
  'workers',
  'nested-workers',
  'wasi-threads',
  // shared-everything
  'set-types',
  'set-globals',
  'set-functions',
  'set-tables',
  'set-gc-atomics',
  'set-global-atomics',
  'set-pause',
  'set-threads',
  'set-js-api',
  'set-thread-local',
  'acqrel-atomics',
  // everything else wasm-feature-detect knows
  'simd',
  'relaxed-simd',
  'bulk-memory',
  'exceptions',
  'exnref',
  'gc',
  'tail-call',
  'memory64',
  'multi-memory',
  'reference-types',
  'extended-const',
  'multi-value',
  'mutable-globals',
  'sign-ext',
  'sat-float-to-int',
  'bigint',
  'jspi',
  'js-string-builtins',
  'typed-funcref',
  'wide-arithmetic',
  'streaming-compilation',
  'type-reflection',
] as const;

export type Capability = (typeof CAPABILITIES)[number];

/** The threading capabilities besides shared-everything. */
const THREADS: readonly Capability[] = [
  'shared-memory',
  'threads',
  'workers',
  'nested-workers',
  'wasi-threads',
];

/**
 * A capability's group, by its name, never its registry position (a capability appended later goes
 * where it belongs): every `set-*` name, and acquire/release atomics, are shared-everything.
 */
export function groupOf(cap: Capability): 'threads' | 'shared-everything' | 'features' {
  if (THREADS.includes(cap)) return 'threads';
  if (cap.startsWith('set-') || cap === 'acqrel-atomics') return 'shared-everything';
  return 'features';
}

/** The groups the diagnostics page shows, in registry order within each. */
export const CAPABILITY_GROUPS = [
  {
    group: 'threads',
    title: 'Threads',
    caps: /* @__PURE__ */ CAPABILITIES.filter((c) => groupOf(c) === 'threads'),
  },
  {
    group: 'shared-everything',
    title: 'Shared-everything threads',
    caps: /* @__PURE__ */ CAPABILITIES.filter((c) => groupOf(c) === 'shared-everything'),
  },
] as const;

/** Everything else wasm-feature-detect knows: the plain features, in registry order. */
export const FEATURES: readonly Capability[] = /* @__PURE__ */ CAPABILITIES.filter(
  (c) => groupOf(c) === 'features',
);

export const HOSTS = ['browser', 'worker', 'node', 'deno', 'bun', 'workerd', 'native', 'unknown'] as const;
export type Host = (typeof HOSTS)[number];

/** The hosts a variant can be declared for: every host a profile can name, `unknown` aside. */
export const VARIANT_HOSTS = /* @__PURE__ */ HOSTS.filter(
  (h): h is Exclude<Host, 'unknown'> => h !== 'unknown',
);
export type VariantHost = (typeof VARIANT_HOSTS)[number];

export function isVariantHost(name: string): name is VariantHost {
  return (VARIANT_HOSTS as readonly string[]).includes(name);
}

/** What an engine can run: the contract's profile shape. `caps` is sorted in registry order. */
export interface Profile {
  host: Host;
  caps: Capability[];
}

export const THREAD_MODELS = ['shared-everything', 'sab', 'wasi-threads', 'single'] as const;
export type ThreadModel = (typeof THREAD_MODELS)[number];

// Pure: the probe bundle, which never asks for an index, leaves it out.
const INDEX = /* @__PURE__ */ new Map<string, number>(
  /* @__PURE__ */ CAPABILITIES.map((name, i) => [name, i]),
);

export function isCapability(name: string): name is Capability {
  return INDEX.has(name);
}

/** Registry position of a capability (its token bit). */
export function capabilityIndex(name: Capability): number {
  return INDEX.get(name)!;
}

/** Deduplicated and sorted in registry order: one profile, one spelling. */
export function normalizeCaps(caps: Iterable<Capability>): Capability[] {
  return [...new Set(caps)].sort((a, b) => capabilityIndex(a) - capabilityIndex(b));
}

/** The profile's thread model (contract.md): the first of shared-everything, sab, wasi-threads, single that holds. */
export function threadModel(caps: Iterable<Capability>): ThreadModel {
  const has = new Set(caps);
  if (has.has('set-types') && has.has('set-threads')) return 'shared-everything';
  if (has.has('threads')) return 'sab';
  if (has.has('wasi-threads')) return 'wasi-threads';
  return 'single';
}
