/**
 * A variant's files as same-origin blob URLs of the bytes weft verified, for libraries that load
 * their own builds by URL (ffmpeg.wasm, onnxruntime-web): they keep their own loaders and workers,
 * and are handed only URLs whose bytes matched the integrity weft published.
 */

import { probe } from '../detect/index.js';
import type { Capability } from '../profile/caps.js';
import { bundleOf, fetchBundleFile } from '../sdk/bundle.js';
import { type LoadOptions, loadWith, type RemoteVariant } from '../sdk/load.js';
import { bodyLength, verifying } from '../sdk/verify.js';

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

/** A bundle file a library loads by URL besides the wasm. */
export type Role = 'glue' | 'worker';

export interface VerifiedBuild {
  /** The chosen variant (its name, model, bundle). */
  variant: RemoteVariant;
  /** Whether the build may start threads here (`load()`'s answer). */
  threads: boolean;
  /** Why threads were not granted (empty when they were). */
  why: string[];
  /** A blob URL of the verified wasm, typed `application/wasm`. */
  wasm: string;
  /** Blob URLs of the verified bundle files asked for (absent where the bundle has none of that role). */
  files: Partial<Record<Role, string>>;
}

/**
 * load()'s choice and fallback, with the chosen build's bytes verified but not compiled: these
 * libraries compile their own from the URL they are given, so a compile here would be spent twice
 * (it was: bench/libs.ts, a ready ORT session took 1.43× of ORT's own loading with it). The wasm is
 * hashed once, as it streams, while the bundle files (`roles`) download beside it. A build whose
 * wasm or files fail to download or verify is passed over for the next acceptable one.
 */
export async function verifiedBuild(
  name: string,
  options: VerifiedBuildOptions,
  roles: Role[],
): Promise<VerifiedBuild> {
  const doFetch = options.fetch ?? fetch;
  let profile = options.profile;
  if (options.threads === false) {
    const probed = profile ?? (await probe());
    profile = { host: probed.host, caps: probed.caps.filter((c) => !THREADING.includes(c)) };
  }
  return loadWith(name, { ...options, ...(profile && { profile }) }, async (res, got) => {
    const { variant } = got;
    const bundle = bundleOf(name, variant);
    const files = Promise.all(
      roles.map(async (role) => {
        const path = role === 'glue' ? bundle.entry : bundle.files.find((f) => f.role === role)?.path;
        return [role, path && blobURL(await fetchBundleFile(bundle, path, doFetch), 'text/javascript')];
      }),
    );
    files.catch(() => {}); // awaited below, once the wasm is in
    const wasm = await verifiedBlob(res, variant, options.onProgress).catch(async (err: unknown) => {
      // This build is passed over: its files' URLs are not handed out, so they are let go.
      for (const [, url] of await files.catch(() => [])) if (url) URL.revokeObjectURL(url);
      throw err;
    });
    const made = await files; // before the wasm gets a URL: a build whose files failed leaves none
    return {
      variant,
      threads: got.threads,
      why: got.why,
      wasm: URL.createObjectURL(wasm),
      files: Object.fromEntries(made.filter(([, url]) => url)),
    };
  });
}

/** The body, read whole as it is verified; an IntegrityError (never the bytes) when it does not match. */
async function verifiedBlob(
  res: Response,
  variant: RemoteVariant,
  report: LoadOptions['onProgress'],
): Promise<Blob> {
  const total = bodyLength(res);
  const onChunk = report && ((loaded: number) => report({ variant: variant.name, loaded, total }));
  const { stream, failure } = verifying(res.body ?? new Blob().stream(), variant, onChunk);
  try {
    return await new Response(stream, { headers: { 'Content-Type': 'application/wasm' } }).blob();
  } catch (err) {
    throw failure() ?? err;
  }
}

/** A same-origin blob URL of some verified bytes. */
const blobURL = (bytes: Uint8Array, type: string): string =>
  URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
