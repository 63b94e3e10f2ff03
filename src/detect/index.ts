/**
 * weft's probe: what this engine can really run, in the contract's vocabulary. Never throws (a
 * detector that throws means absent), is memoised per realm, and on browser pages keeps its
 * profile per origin across page loads (cache.ts), so a repeat visit does not probe again.
 *
 * It never reports a capability the engine lacks. It may under-report on engines older than about
 * 2021: the seven baseline features (bulk-memory, reference-types, multi-value, mutable-globals,
 * sign-ext, sat-float-to-int, bigint) are proved together by one module, and all are absent where
 * that module fails (scripts/probes/baseline.ts).
 */
import { CAPABILITIES, type Capability, type Host, type Profile } from '../profile/caps.js';
import { type Answers, profileCache } from './cache.js';
import { detectModules } from './features.js';
import { detectHost } from './host.js';
import { nativeSharedGlobal, nativeThreadLocal } from './native-api.js';
import { hasThreads, hasWorkers } from './threads.js';
import { check } from './util.js';

export type { Capability, Host, Profile } from '../profile/caps.js';
export { CAPABILITIES, threadModel } from '../profile/caps.js';

export interface ProbeOptions {
  /**
   * Also start workers: a shared-memory round trip (`Atomics.notify`) and `nested-workers`. Deep
   * answers are never cached across page loads: they hold for the page that started the workers
   * (its CSP may forbid workers where another page of the origin allows them), and whoever asks
   * for them asks for proof made now.
   */
  deep?: boolean;
  /** Probe now, ignoring this realm's memo and the per-origin cache, and keep the new answer in both. */
  fresh?: boolean;
  /**
   * The capabilities the caller's candidate builds could use (the union of their requirements): only
   * these are checked, besides the ones the thread model is made of (`shared-memory`, `threads`,
   * `workers`, `wasi-threads`, `set-types`, `set-threads`); every other capability is left unchecked
   * and reported absent, and the profile says `partial: true`. Without it, everything is checked.
   */
  need?: readonly Capability[];
}

/**
 * A profile; `cached: true` when it was read from the per-origin cache instead of probed now;
 * `partial: true` when a `need` hint left some capabilities unchecked (absent from `caps` unproved).
 */
export interface ProbedProfile extends Profile {
  cached?: true;
  partial?: true;
}

/** What a hinted probe checks whatever its hint: the thread model's parts (threadModel). */
const ALWAYS: readonly Capability[] = [
  'shared-memory',
  'threads',
  'workers',
  'wasi-threads',
  'set-types',
  'set-threads',
];

/** The shallow checks of every capability `wanted` asks for, into `found`: all synchronous (tiny modules only), so they cost no task hops. */
function shallow(host: Host, found: Answers, wanted: (cap: Capability) => boolean): void {
  detectModules(found, wanted);
  if (wanted('threads')) found.threads = check(() => hasThreads(host, found['shared-memory']!));
  if (wanted('workers')) found.workers = check(() => hasWorkers(host));
  // The shared-everything JS API is real only if a shared Global says so; native thread-local
  // globals show only through theirs (native-api.ts, shared with the polyfill).
  if (wanted('set-js-api')) found['set-js-api'] = check(nativeSharedGlobal);
  if (wanted('set-thread-local')) found['set-thread-local'] = check(nativeThreadLocal);
}

async function run(deep: boolean, fresh: boolean, need?: readonly Capability[]): Promise<ProbedProfile> {
  const host = detectHost();
  const cache = !deep && host === 'browser' ? profileCache(host) : undefined;
  // The answers so far: the per-origin entry's, which a probe with a hint may have left partial.
  const found: Answers = fresh ? {} : { ...cache?.[0] };
  const wanted = (cap: Capability) =>
    !(cap in found) && (!need || need.includes(cap) || ALWAYS.includes(cap));
  const todo = CAPABILITIES.filter(wanted);
  if (todo[0]) {
    shallow(host, found, wanted);
    // A deep module that cannot load proves nothing more: the shallow answers stand.
    if (deep)
      await import('./deep.js').then(
        (mod) => mod.deepen(host, found),
        () => {},
      );
    // wasi-threads on a JS host: weft's SDK brings the thread-spawn shim, which needs threads and workers.
    found['wasi-threads'] = found.threads! && found.workers!;
    // Checked now, whether or not a check answered it (nested-workers is only ever proved deep).
    for (const cap of todo) found[cap] = !!found[cap];
    cache?.[1](found);
  }
  const profile: ProbedProfile = { host, caps: CAPABILITIES.filter((cap) => found[cap]) };
  if (!todo[0]) profile.cached = true;
  if (CAPABILITIES.some((cap) => !(cap in found))) profile.partial = true;
  return profile;
}

/** The memo: each promise by its `deep` setting and hint. */
const memo: Record<string, Promise<ProbedProfile>> = {};

/**
 * Probes this realm once (per `deep` setting and `need` hint) and returns the same answer afterwards.
 * On a browser page a shallow probe's answers are kept per origin (localStorage) and reused by later
 * page loads of the same engine while they still apply (`cached: true`); a probe with a hint keeps
 * what it checked, and a later probe checks only what the entry does not answer yet. `fresh: true`
 * probes again. Never reports a capability the engine lacks; an engine older than about 2021 may
 * under-report the seven baseline features (all or none of them: see the module comment).
 *
 * @example
 * import { probe, threadModel } from 'weft/detect';
 * const { host, caps } = await probe();
 * threadModel(caps); // 'sab' on a cross-origin-isolated page, 'single' on one that is not
 * // Only what these builds could use (and the thread model): { caps, partial: true }
 * await probe({ need: ['shared-memory', 'threads', 'simd'] });
 */
export function probe(options: ProbeOptions = {}): Promise<ProbedProfile> {
  const { deep = false, fresh = false, need } = options;
  const key = `${deep}${need && `:${need}`}`;
  if (fresh || !memo[key])
    memo[key] = run(deep, fresh, need).catch(() => ({ host: 'unknown' as const, caps: [] }));
  return memo[key];
}
