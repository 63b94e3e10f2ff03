/**
 * weft's probe: what this engine can really run, in the contract's vocabulary. Never throws (a
 * detector that throws means absent) and is memoised per realm.
 */
import { type Capability, normalizeCaps, type Profile } from '../profile/caps.js';
import { FEATURE_DETECTORS } from './features.js';
import { detectHost } from './host.js';
import { PROBE_BYTES } from './probe-bytes.js';
import { setJsApi, setThreadLocal, setThreads } from './shared-everything.js';
import { hasSharedMemory, hasThreads, hasWorkers } from './threads.js';
import { safely, validates } from './util.js';

export type { Capability, Host, Profile } from '../profile/caps.js';
export { CAPABILITIES, threadModel } from '../profile/caps.js';

export interface ProbeOptions {
  /** Also start workers: a shared-memory round trip (`Atomics.notify`) and `nested-workers`. */
  deep?: boolean;
}

// Every generated probe that answers by validation alone; shared-memory and set-threads need more.
const VALIDATED = (Object.keys(PROBE_BYTES) as (keyof typeof PROBE_BYTES)[]).filter(
  (cap) => cap !== 'shared-memory' && cap !== 'set-threads',
);

async function run(options: ProbeOptions): Promise<Profile> {
  const host = detectHost();
  const found: Record<string, boolean> = {
    'shared-memory': await safely(hasSharedMemory),
    threads: await safely(() => hasThreads(host)),
    workers: await safely(() => hasWorkers(host)),
    'set-threads': await safely(setThreads),
    'set-js-api': await safely(setJsApi),
    'set-thread-local': await safely(setThreadLocal),
  };
  for (const cap of VALIDATED) found[cap] = await safely(() => validates(cap));
  const features = Object.entries(FEATURE_DETECTORS);
  const answers = await Promise.all(features.map(([, detect]) => safely(detect)));
  features.forEach(([cap], i) => {
    found[cap] = answers[i]!;
  });
  if (options.deep) {
    // A deep module that cannot load proves nothing more: the shallow answers stand.
    const deep = await import('./deep.js').catch(() => undefined);
    if (deep && found.threads) found.threads = await safely(() => deep.roundTrip(host));
    found['nested-workers'] =
      !!deep && found.workers === true && (await safely(() => deep.nestedWorkers(host)));
  }
  // wasi-threads on a JS host: weft's SDK brings the thread-spawn shim, which needs threads and workers.
  found['wasi-threads'] = found.threads === true && found.workers === true;
  const caps = Object.keys(found).filter((cap) => found[cap]) as Capability[];
  return { host, caps: normalizeCaps(caps) };
}

const memo = new Map<boolean, Promise<Profile>>();

/**
 * Probes this realm once (per `deep` setting) and returns the same answer afterwards.
 *
 * @example
 * import { probe, threadModel } from 'weft/detect';
 * const { host, caps } = await probe();
 * threadModel(caps); // 'sab' on a cross-origin-isolated page, 'single' on one that is not
 */
export function probe(options: ProbeOptions = {}): Promise<Profile> {
  const deep = options.deep === true;
  let result = memo.get(deep);
  if (!result) {
    result = run({ deep }).catch(() => ({ host: 'unknown' as const, caps: [] }));
    memo.set(deep, result);
  }
  return result;
}
