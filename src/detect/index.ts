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
import { CAPABILITIES, type Host, type Profile } from '../profile/caps.js';
import { profileCache } from './cache.js';
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
}

/** A profile; `cached: true` when it was read from the per-origin cache instead of probed now. */
export interface ProbedProfile extends Profile {
  cached?: true;
}

/** The shallow checks: all synchronous (tiny modules only), so they cost no task hops. */
function shallow(host: Host): Record<string, boolean> {
  const found: Record<string, boolean> = {};
  detectModules(found);
  found.threads = check(() => hasThreads(host, found['shared-memory']!));
  found.workers = check(() => hasWorkers(host));
  // The shared-everything JS API is real only if a shared Global says so; native thread-local
  // globals show only through theirs (native-api.ts, shared with the polyfill).
  found['set-js-api'] = check(nativeSharedGlobal);
  found['set-thread-local'] = check(nativeThreadLocal);
  return found;
}

async function run(deep: boolean, fresh: boolean): Promise<ProbedProfile> {
  const host = detectHost();
  const cache = !deep && host === 'browser' ? profileCache(host) : undefined;
  if (cache?.[0] && !fresh) return { ...cache[0], cached: true };
  const found = shallow(host);
  // A deep module that cannot load proves nothing more: the shallow answers stand.
  if (deep)
    await import('./deep.js').then(
      (mod) => mod.deepen(host, found),
      () => {},
    );
  // wasi-threads on a JS host: weft's SDK brings the thread-spawn shim, which needs threads and workers.
  found['wasi-threads'] = found.threads! && found.workers!;
  const profile = {
    host,
    caps: CAPABILITIES.filter((cap) => found[cap]),
  };
  cache?.[1](profile);
  return profile;
}

/** The memo: the shallow probe's promise at 0, the deep one's at 1. */
const memo: Promise<ProbedProfile>[] = [];

/**
 * Probes this realm once (per `deep` setting) and returns the same answer afterwards. On a browser
 * page a shallow probe's answer is kept per origin (localStorage) and reused by later page loads
 * of the same engine while it still applies (`cached: true`); `fresh: true` probes again. Never
 * reports a capability the engine lacks; an engine older than about 2021 may under-report the seven
 * baseline features (all or none of them: see the module comment).
 *
 * @example
 * import { probe, threadModel } from 'weft/detect';
 * const { host, caps } = await probe();
 * threadModel(caps); // 'sab' on a cross-origin-isolated page, 'single' on one that is not
 */
export function probe(options: ProbeOptions = {}): Promise<ProbedProfile> {
  const deep = +(options.deep === true);
  if (options.fresh || !memo[deep])
    memo[deep] = run(!!deep, options.fresh === true).catch(() => ({ host: 'unknown' as const, caps: [] }));
  return memo[deep];
}
