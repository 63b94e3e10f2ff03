/**
 * Aggregate statistics of what `resolve` and `wasm` answered: how many requests came from each thread
 * model, how often each capability was present, and which variant each module served. No personal
 * data (no addresses, no agents, no raw profiles) and bounded memory: the keys are the contract's
 * vocabulary and the manifest's variant names, with a cap on the latter.
 *
 * Scope: the counters live in memory. On Node that is this process since it started; on Workers it is
 * one isolate since it started, not the whole deployment. The answer says which.
 */
import {
  CAPABILITIES,
  type Capability,
  THREAD_MODELS,
  type ThreadModel,
  threadModel,
} from '../profile/caps.js';

const MAX_SERVED_KEYS = 4096;

export interface StatsSnapshot {
  scope: string;
  since: string;
  requests: number;
  models: Record<ThreadModel, number>;
  capabilities: Record<Capability, number>;
  /** `module/variant` → how often it was chosen. */
  served: Record<string, number>;
  /** Requests whose module/variant was not counted because the key cap was reached. */
  uncounted: number;
}

export interface Stats {
  record(caps: readonly Capability[], module: string, variant: string | null): void;
  snapshot(): StatsSnapshot;
}

export function createStats(scope: string, now: () => Date = () => new Date()): Stats {
  const since = now().toISOString();
  let requests = 0;
  let uncounted = 0;
  const models = Object.fromEntries(THREAD_MODELS.map((m) => [m, 0])) as Record<ThreadModel, number>;
  const capabilities = Object.fromEntries(CAPABILITIES.map((c) => [c, 0])) as Record<Capability, number>;
  const served = new Map<string, number>();
  return {
    record(caps, module, variant) {
      requests++;
      models[threadModel(caps)]++;
      for (const cap of caps) capabilities[cap]++;
      const key = `${module}/${variant ?? '(none)'}`;
      if (served.has(key) || served.size < MAX_SERVED_KEYS) served.set(key, (served.get(key) ?? 0) + 1);
      else uncounted++;
    },
    snapshot() {
      return {
        scope,
        since,
        requests,
        models: { ...models },
        capabilities: { ...capabilities },
        served: Object.fromEntries(served),
        uncounted,
      };
    },
  };
}
