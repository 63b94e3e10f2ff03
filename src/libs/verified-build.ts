/**
 * A variant's files as same-origin blob URLs of the bytes weft verified, for libraries that load
 * their own builds by URL (ffmpeg.wasm, onnxruntime-web): they keep their own loaders and workers,
 * and are handed only URLs whose bytes matched the integrity weft published.
 */

import { sriOfBytes } from '../contract/address.js';
import { probe } from '../detect/index.js';
import type { Capability } from '../profile/caps.js';
import { fetchBundleFile } from '../sdk/bundle.js';
import { type LoadOptions, type LoadResult, load, type RemoteVariant } from '../sdk/load.js';

export interface VerifiedBuildOptions
  extends Pick<LoadOptions, 'server' | 'version' | 'manifest' | 'profile' | 'onProgress' | 'fetch'> {
  /**
   * False to be given a build that starts no threads even where the engine could (the probed
   * profile, less every threading capability): for a threaded build known to fail on some engine.
   */
  threads?: false;
}

/** What a build that starts threads needs; dropped from the profile when `threads: false`. */
const THREADING: Capability[] = ['threads', 'workers', 'nested-workers', 'wasi-threads'];

export interface VerifiedBuild {
  /** The chosen variant (its name, model, bundle). */
  variant: RemoteVariant;
  /** Whether the build may start threads here (`load()`'s answer). */
  threads: boolean;
  /** Why threads were not granted (empty when they were). */
  why: string[];
  /** The verified wasm bytes, as a Blob typed `application/wasm`. */
  wasm: Blob;
  load: LoadResult;
}

const isWasmAnswer = (res: Response, url: string) =>
  (res.headers.get('Content-Type') ?? '').startsWith('application/wasm') || /\/wasm(\?|$)|\.wasm$/.test(url);

/**
 * `load(name, { instantiate: false })`, keeping a copy of the wasm it downloaded: the library gets
 * those very bytes (checked again against the variant's integrity) instead of downloading the
 * build a second time. What load() compiled is not handed on: these libraries compile their own.
 */
export async function verifiedBuild(
  name: string,
  options: VerifiedBuildOptions = {},
): Promise<VerifiedBuild> {
  const doFetch = options.fetch ?? fetch;
  const copies: Promise<Blob>[] = [];
  const keeping: typeof fetch = async (input, init) => {
    const res = await doFetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (res.ok && isWasmAnswer(res, url)) {
      // A tee of the same body load() hashes and compiles; unread until load() has finished.
      const copy = res.clone().blob();
      copy.catch(() => {});
      copies.push(copy);
    }
    return res;
  };
  let profile = options.profile;
  if (options.threads === false) {
    const probed = profile ?? (await probe());
    profile = { host: probed.host, caps: probed.caps.filter((c) => !THREADING.includes(c)) };
  }
  const got = await load(name, {
    ...options,
    ...(profile && { profile }),
    fetch: keeping,
    instantiate: false,
  });
  const wasm = await verifiedCopy(copies, got.variant);
  return { variant: got.variant, threads: got.threads, why: got.why, wasm, load: got };
}

/** The kept copy whose bytes match the chosen variant (earlier ones may be of a variant that failed). */
async function verifiedCopy(copies: Promise<Blob>[], variant: RemoteVariant): Promise<Blob> {
  for (const copy of copies.reverse()) {
    const blob = await copy.catch(() => undefined);
    if (!blob) continue;
    const bytes = new Uint8Array(await blob.arrayBuffer());
    // A Blob never changes: the bytes just hashed are the ones its URL will serve.
    if ((await sriOfBytes(bytes)) === variant.integrity) return blob.slice(0, blob.size, 'application/wasm');
  }
  throw new Error(`weft: no verified copy of ${variant.name}'s wasm was kept`);
}

/** A same-origin blob URL of some verified bytes. */
export const blobURL = (bytes: Uint8Array | Blob, type: string): string =>
  URL.createObjectURL(bytes instanceof Blob ? bytes : new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));

/** The variant's glue (its bundle's entry) or its worker script, fetched and verified, as a blob URL. */
export async function bundleFileURL(
  variant: RemoteVariant,
  role: 'glue' | 'worker',
  doFetch: typeof fetch = fetch,
): Promise<string | undefined> {
  const bundle = variant.bundle;
  if (!bundle) throw new Error(`weft: ${variant.name} was published without its glue (no bundle)`);
  const path = role === 'glue' ? bundle.entry : bundle.files.find((f) => f.role === role)?.path;
  if (!path) return undefined;
  return blobURL(await fetchBundleFile(bundle, path, doFetch), 'text/javascript');
}
