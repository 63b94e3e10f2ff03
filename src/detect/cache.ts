/**
 * The per-origin profile cache: on a browser page the shallow profile is kept in localStorage, so a
 * repeat visit reads it instead of probing (src/detect/index.ts). An entry counts only where it was
 * probed under the same conditions, all checked on every read:
 *
 * - the key: cross-origin isolated or not (isolated and plain pages never share an entry);
 * - the checksum, over the probe version (vocabulary, every probe module, the probe revision: see
 *   probes/render.ts), the User-Agent (the engine and its version), the `WebAssembly` namespace's
 *   own members (an origin trial or a flag that adds JS API, an installed polyfill), the host
 *   (never stored: this realm's) and the capabilities themselves;
 * - the shape: every capability a known name (the checksum then guarantees the list is exactly the
 *   one written: sorted, no duplicates).
 *
 * A corrupt, foreign, edited or stale entry fails one of these and is probed over. A page whose CSP
 * forbids compiling wasm (no `wasm-unsafe-eval`) finds less than its engine can do, so it writes
 * nothing (checked when writing, which a repeat visit does not pay for); reading an entry written
 * elsewhere changes nothing there, since no variant can compile on such a page anyway. The checksum is
 * no signature: script on the same origin can forge one, as it can replace `probe` itself.
 */
import { type Capability, type Host, isCapability, type Profile } from '../profile/caps.js';
import { PROBE_VERSION } from './probe-bytes.js';
import { compile } from './util.js';

/** The part of the Web Storage API the cache uses. */
interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * This page's entry: the cached profile if there is a valid one, and a function that keeps a
 * freshly probed profile for the next visit. Undefined without storage (an opaque origin, a
 * sandboxed frame, storage disabled).
 */
export function profileCache(host: Host): [Profile | undefined, (profile: Profile) => void] | undefined {
  try {
    const g = globalThis as typeof globalThis & {
      localStorage: Storage;
      crossOriginIsolated?: boolean;
      navigator: { userAgent: string };
    };
    const storage = g.localStorage;
    const key = `weft.profile.${g.crossOriginIsolated ? 'isolated' : 'plain'}`;
    const context = [
      key,
      PROBE_VERSION,
      g.navigator.userAgent,
      Object.getOwnPropertyNames(WebAssembly),
      host,
    ].join();
    // FNV-1a over the conditions and the list: a change anywhere in either is seen.
    const sum = (caps: Capability[]) => {
      let h = 0x811c9dc5;
      for (const c of context + caps) h = Math.imul(h ^ c.charCodeAt(0), 0x1000193);
      return h >>> 0;
    };
    let hit: Profile | undefined;
    try {
      // No throw on the common misses (none stored: JSON.parse(null) is null; caps not a list): a
      // TypeError would cost milliseconds in V8, which reparses the code to word its message.
      const entry = JSON.parse(storage.getItem(key)!) as { caps?: Capability[]; sum?: unknown } | null;
      const caps = entry?.caps;
      if (Array.isArray(caps) && caps.every(isCapability) && entry!.sum === sum(caps)) hit = { host, caps };
    } catch {
      // Not JSON: probe.
    }
    return [
      hit,
      // In a later task: the answer is not kept waiting for the write (a few tenths of a millisecond).
      ({ caps }) =>
        setTimeout(() => {
          try {
            // A page whose CSP forbids compiling wasm finds less than its engine can do: keep nothing.
            if (compile('')) storage.setItem(key, JSON.stringify({ caps, sum: sum(caps) }));
          } catch {
            // Quota or access errors only lose the next visit's shortcut.
          }
        }),
    ];
  } catch {
    return undefined;
  }
}
