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
 * An entry is one line of text, the checksum then the capabilities, comma-separated: read with a
 * split, no JSON (and nothing on the common misses throws: V8 words a TypeError by reparsing).
 *
 * A corrupt, foreign, edited or stale entry fails one of these and is probed over. A page whose CSP
 * forbids compiling wasm (no `wasm-unsafe-eval`) finds less than its engine can do, so it writes
 * nothing (checked when writing, which a repeat visit does not pay for); reading an entry written
 * elsewhere changes nothing there, since no variant can compile on such a page anyway. The checksum is
 * no signature: script on the same origin can forge one, as it can replace `probe` itself.
 */
import { CAPABILITIES, type Capability, type Host, type Profile } from '../profile/caps.js';
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
    const [stored, ...caps] = (storage.getItem(key) ?? '').split(',') as [string, ...Capability[]];
    const hit =
      caps.every((c) => CAPABILITIES.includes(c)) && stored === `${sum(caps)}` ? { host, caps } : undefined;
    return [
      hit,
      // In a later task: the answer is not kept waiting for the write (a few tenths of a millisecond).
      ({ caps }) =>
        setTimeout(() => {
          try {
            // A page whose CSP forbids compiling wasm finds less than its engine can do: keep nothing.
            if (compile('')) storage.setItem(key, [sum(caps), ...caps].join());
          } catch {
            // Quota or access errors only lose the next visit's shortcut.
          }
        }),
    ];
  } catch {
    return undefined;
  }
}
