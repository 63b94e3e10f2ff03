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
 * An entry is one line of text, the checksum then the capabilities present, comma-separated, and
 * `~` before each one a probe with a `need` hint left unchecked (a full probe's entry has none):
 * read with a split, no JSON (and nothing on the common misses throws: V8 words a TypeError by
 * reparsing). A later probe checks only what the entry does not answer, and writes them merged.
 *
 * A corrupt, foreign, edited or stale entry fails one of these and is probed over. A page whose CSP
 * forbids compiling wasm (no `wasm-unsafe-eval`) finds less than its engine can do, so it writes
 * nothing (checked when writing, which a repeat visit does not pay for); reading an entry written
 * elsewhere changes nothing there, since no variant can compile on such a page anyway. The checksum is
 * no signature: script on the same origin can forge one, as it can replace `probe` itself.
 */
import { CAPABILITIES, type Capability, type Host } from '../profile/caps.js';
import { PROBE_VERSION } from './probe-bytes.js';
import { compile } from './util.js';

/** The part of the Web Storage API the cache uses. */
interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Answers by capability: true present, false checked and absent; a capability missing was not checked. */
export type Answers = Record<string, boolean>;

/**
 * This page's entry: the answers it holds if there is a valid one (a probe with a `need` hint
 * leaves some capabilities unchecked: absent here), and a function that keeps the answers probed
 * now, merged with these, for the next visit. Undefined without storage (an opaque origin, a
 * sandboxed frame, storage disabled).
 */
export function profileCache(host: Host): [Answers | undefined, (found: Answers) => void] | undefined {
  try {
    const g = globalThis as typeof globalThis & {
      localStorage: Storage;
      crossOriginIsolated?: boolean;
      navigator: { userAgent: string };
    };
    const storage = g.localStorage;
    const key = `weft.profile.${g.crossOriginIsolated ? 'isolated' : 'plain'}`;
    // FNV-1a over the conditions and the tokens: a change anywhere in either is seen. The conditions
    // are read only when there is an entry to check or one to write: a first visit does not wait for them.
    const sum = (tokens: string[]) => {
      let h = 0x811c9dc5;
      for (const c of `${[
        key,
        PROBE_VERSION,
        g.navigator.userAgent,
        Object.getOwnPropertyNames(WebAssembly),
        host,
      ]}${tokens}`)
        h = Math.imul(h ^ c.charCodeAt(0), 0x1000193);
      return h >>> 0;
    };
    const entry = storage.getItem(key);
    // The tokens: a capability present, `~` and one not checked; every other one absent.
    const [stored, ...tokens] = (entry ?? '').split(',');
    const hit =
      entry &&
      tokens.every((t) => CAPABILITIES.includes((t[0] === '~' ? t.slice(1) : t) as Capability)) &&
      stored === `${sum(tokens)}`
        ? Object.fromEntries(
            CAPABILITIES.filter((c) => !tokens.includes(`~${c}`)).map((c) => [c, tokens.includes(c)]),
          )
        : undefined;
    return [
      hit,
      // Written after the answer is given: the probe does not wait for the write.
      (found) =>
        setTimeout(() => {
          try {
            const tokens = CAPABILITIES.flatMap((c) => (found[c] ? c : c in found ? [] : `~${c}`));
            // A page whose CSP forbids compiling wasm finds less than its engine can do: keep nothing.
            if (compile('')) storage.setItem(key, [sum(tokens), ...tokens].join());
          } catch {
            // Quota or access errors only lose the next visit's shortcut.
          }
        }),
    ];
  } catch {
    return undefined;
  }
}
