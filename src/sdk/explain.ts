import type { Profile } from '../profile/caps.js';
import type { Rejection } from '../profile/select.js';

/**
 * Plain-language reasons a profile lacks threads, for the loader to show ("why did my users get the
 * single-threaded build?"). Empty when threads were granted.
 */
export function explainThreads(profile: Profile): string[] {
  const has = new Set(profile.caps);
  if (has.has('threads')) return [];
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  const reasons: string[] = [];
  if (!has.has('shared-memory')) reasons.push('this engine does not validate shared memory with atomics');
  if (!has.has('workers')) reasons.push(`this host (${profile.host}) has no worker API`);
  if (isolated === false) {
    reasons.push(
      'the page is not cross-origin isolated: serve it with "Cross-Origin-Opener-Policy: same-origin" and ' +
        '"Cross-Origin-Embedder-Policy: require-corp" (or credentialless), and serve its subresources with CORP or CORS',
    );
  }
  if (reasons.length === 0)
    reasons.push('a shared WebAssembly.Memory could not be posted to another thread here');
  return reasons;
}

/**
 * The builds passed over because they are declared for other hosts only ("the threaded build is
 * for browsers"): part of why a loader on this host got a build without threads.
 */
export function explainHosts(profile: Profile, rejected: readonly Rejection[]): string[] {
  return rejected
    .filter((r) => r.hosts)
    .map(
      (r) => `${r.variant} is declared for ${r.hosts!.join(', ')} only, not for this host (${profile.host})`,
    );
}
