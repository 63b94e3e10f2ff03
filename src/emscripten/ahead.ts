/**
 * A variant's glue and workers asked for as soon as its wasm is. With the module's description
 * in hand (a cached `manifest`, a pinned one), the fetch loadWith makes for a variant's wasm also
 * starts that variant's bundle files, instead of after the wasm's answer: in Node 20 the first
 * fetch of a process sets up undici, which the two then share. Each file is checked against its
 * integrity as before (`fetchBundleFile`), and used only for the very file of the chosen bundle
 * (same URL, same integrity): a fallback to another variant fetches its own.
 */
import { fetchBundleFile } from '../sdk/bundle.js';
import type { RemoteBundle, RemoteVariant } from '../sdk/load.js';

export interface Ahead {
  /** The fetch to give loadWith. */
  fetch: typeof fetch;
  /** The verified bytes of `path` in `bundle`, when they were asked for ahead. */
  take(bundle: RemoteBundle, path: string): Promise<Uint8Array> | undefined;
}

const key = (bundle: RemoteBundle, path: string) =>
  `${bundle.base}${path} ${bundle.files.find((f) => f.path === path)?.integrity}`;

/** The files a loader needs first: the glue and those published as workers. */
export const firstFiles = (bundle: RemoteBundle) =>
  bundle.files.filter((f) => f.path === bundle.entry || f.role === 'worker');

export function fetchingAhead(variants: RemoteVariant[] | undefined, doFetch: typeof fetch): Ahead {
  const started = new Map<string, Promise<Uint8Array>>();
  return {
    fetch: (input, init) => {
      const answer = doFetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const bundle = variants?.find((v) => v.url === url)?.bundle;
      for (const f of bundle ? firstFiles(bundle) : []) {
        const k = key(bundle!, f.path);
        if (started.has(k)) continue;
        const bytes = fetchBundleFile(bundle!, f.path, doFetch);
        // Awaited when used; one never used (a fallback) is no unhandled rejection.
        bytes.catch(() => {});
        started.set(k, bytes);
      }
      return answer;
    },
    take: (bundle, path) => started.get(key(bundle, path)),
  };
}
