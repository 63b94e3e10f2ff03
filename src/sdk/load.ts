import { sriFromContentDigest } from '../contract/address.js';
import { modulePath, POLYFILLS_PATH } from '../contract/paths.js';
import { probe } from '../detect/index.js';
import type { Profile } from '../profile/caps.js';
import { encodeToken } from '../profile/codec.js';
import { isPinned, type PinnedManifest } from '../profile/pinned.js';
import type { PolyfillName } from '../profile/polyfills.js';
import { acceptable, type Rejection, select } from '../profile/select.js';
import type { RemoteBundle, RemoteModule, RemoteVariant } from '../profile/wire.js';
import { explainHosts, explainThreads } from './explain.js';
import { instantiateVerified, type Progress, variantFault } from './verify.js';

export type { PinnedManifest, RemoteBundle, RemoteModule, RemoteVariant };

export interface LoadOptions {
  /** The weft server's origin (default: this page's origin). */
  server?: string;
  /**
   * The version to load (`/v1/modules/app@1.2.0/...`); default: the module's current one. A version
   * that was removed, or never published, is a LoadError saying so (never another version's bytes).
   */
  version?: string;
  /** The module's manifest entry, when the loader has it cached: selection is then local. */
  manifest?: RemoteModule;
  /** Skip the probe and use this profile. */
  profile?: Profile;
  /**
   * The import object, or a function of the chosen variant (threaded variants need their own),
   * called when the engine reads the imports: after the bytes checked out, never for bytes that failed.
   */
  imports?: WebAssembly.Imports | ((variant: RemoteVariant) => WebAssembly.Imports);
  /** False to get the compiled module only (threaded glue instantiates once per worker). */
  instantiate?: boolean;
  onProgress?: (progress: Progress) => void;
  /** Installs the polyfills a variant needs; default: from the server's `/v1/polyfills.js` in browsers, `weft/polyfill` elsewhere. */
  installPolyfills?: (profile: Profile, needed: PolyfillName[]) => Promise<unknown> | unknown;
  fetch?: typeof fetch;
}

export interface LoadResult {
  instance: WebAssembly.Instance | undefined;
  module: WebAssembly.Module;
  variant: RemoteVariant;
  /** The engine's profile; from a description (`manifest`, pinned), only what its builds require was checked (`partial`). */
  profile: Profile;
  /** Variants passed over, with what the profile lacked (and, for one declared for other hosts, those hosts). */
  rejected: Rejection[];
  /** Variants that were chosen but failed to download, verify or compile, with why. */
  failed: { variant: string; reason: string }[];
  /**
   * Whether the build may start threads here. False for a single-threaded build, and for a build
   * with optional threads on an engine that cannot start them: tell its glue to run on one thread.
   */
  threads: boolean;
  /** Why threads were not granted (empty when they were), a threaded build passed over for its hosts among them. */
  why: string[];
  polyfills: unknown;
}

export class LoadError extends Error {
  /** Where the load was when it failed, when a loader knows (`weft/emscripten`: 'glue', 'workers', ...). */
  readonly stage: string | undefined;
  constructor(
    readonly module: string,
    readonly variant: string | undefined,
    reason: string,
    readonly details: { rejected?: Rejection[]; failed?: LoadResult['failed']; stage?: string } = {},
  ) {
    const at = details.stage ? ` at stage ${details.stage}` : '';
    super(`weft: cannot load ${module}${variant ? ` (variant ${variant})` : ''}${at}: ${reason}`);
    this.name = 'LoadError';
    this.stage = details.stage;
  }
}

/**
 * probe → select → fetch → verify → instantiate, falling back to the next acceptable variant on failure.
 * Given a module's name, it negotiates with the server; given its pinned manifest (`weft manifest`,
 * or `import app from 'weft:app'` through `weft/plugin`), it chooses locally and fetches only the
 * chosen build's bytes.
 *
 * @example
 * import { load } from 'weft/sdk';
 * const { instance, variant, threads, why } = await load('demo', { server: 'https://wasm.example.com' });
 * // A glue that instantiates per worker: { instantiate: false } returns the verified module only.
 */
export function load(app: string | PinnedManifest, options: LoadOptions = {}): Promise<LoadResult> {
  return loadWith(app, options, (res, got) => instantiateChosen(res, got, options));
}

/** What is known of a chosen variant before its bytes are used: a LoadResult without module or instance. */
export type Chosen = Omit<LoadResult, 'module' | 'instance'> & { name: string };

/**
 * load()'s choice and fallback, with what is done to the chosen variant's bytes left to `attempt`:
 * it gets the response unread (its body to be verified as it streams, see `instantiateVerified`)
 * and the variant's polyfills installed. A LoadError it throws ends the load; any other error
 * (a download, integrity or compile failure) is recorded and the next acceptable variant tried.
 * `weft/emscripten` uses it to give the glue's imports to the streaming instantiation.
 */
export async function loadWith<T>(
  app: string | PinnedManifest,
  options: LoadOptions,
  attempt: (res: Response, got: Chosen) => Promise<T>,
): Promise<T> {
  if (typeof app !== 'string') {
    if (!isPinned(app))
      throw new LoadError(
        String((app as { name?: unknown })?.name),
        undefined,
        'not a pinned manifest (weft manifest writes one)',
      );
    return loadWith(app.name, { ...options, server: options.server ?? app.server, manifest: app }, attempt);
  }
  const name = app;
  const server = options.server ?? (globalThis as { location?: { origin: string } }).location?.origin;
  if (!server) throw new LoadError(name, undefined, 'no server given and no page origin to default to');
  const doFetch = options.fetch ?? fetch;
  // With the module's description in hand, the probe checks only what its builds could require.
  const need = options.manifest && [...new Set(options.manifest.variants.flatMap((v) => v.requires))];
  const profile = options.profile ?? (await probe(need ? { need } : {}));
  const failed: LoadResult['failed'] = [];
  const { version } = options;
  const base = `${server.replace(/\/$/, '')}${modulePath(name, version)}`;

  let manifest = options.manifest;
  if (manifest && version !== undefined && manifest.version !== version)
    throw new LoadError(name, undefined, `the manifest given is version ${manifest.version}, not ${version}`);
  const tryVariant = async (variant: RemoteVariant, res: Response, rejected: Rejection[]) => {
    const polyfills = await installFor(variant, profile, options, server).catch((err: unknown) => {
      res.body?.cancel().catch(() => {});
      throw err;
    });
    const threads = select([variant], profile).threads;
    const why = [...explainThreads(profile), ...(threads ? [] : explainHosts(profile, rejected))];
    return attempt(res, { name, variant, profile, rejected, failed, threads, why, polyfills });
  };
  if (!manifest) {
    // One round trip: the server negotiates and sends the bytes. The module's entry (the variant's
    // record, its pieces, and the list to fall back on) is asked for alongside.
    const entry = fetchEntry(doFetch, base, name, version);
    entry.catch(() => {});
    const res = await doFetch(`${base}/wasm?profile=${encodeToken(profile)}`).catch((err: unknown) => {
      throw new LoadError(name, undefined, `the server did not answer (${String(err)})`);
    });
    const variantName = res.headers.get('Wasm-Variant') ?? undefined;
    if (res.status === 404 || res.status === 410) throw await refusal(name, version, res);
    if (res.status === 406) {
      const body = (await res.json().catch(() => ({}))) as { error?: { rejected?: Rejection[] } };
      throw new LoadError(name, undefined, 'no variant runs on this engine', {
        rejected: body.error?.rejected ?? [],
      });
    }
    const integrity = sriFromContentDigest(res.headers.get('Content-Digest'));
    manifest = await entry;
    const variant = manifest.variants.find((v) => v.name === variantName);
    if (!res.ok || !variant || !integrity) {
      res.body?.cancel().catch(() => {});
      failed.push({
        variant: variantName ?? '(negotiated)',
        reason: `HTTP ${res.status} without verifiable wasm`,
      });
    } else if (variant.integrity !== integrity) {
      // The record must describe these very bytes: a republish between the two answers (or a
      // cached /wasm answer) would otherwise pair this wasm with another build's record and glue.
      // Not this variant's fault: it is fetched again below, by the URL its record names.
      res.body?.cancel().catch(() => {});
      failed.push({
        variant: '(negotiated)',
        reason: `record changed while loading: ${variant.integrity}, not ${integrity}`,
      });
    } else {
      try {
        return await tryVariant(variant, res, select(manifest.variants, profile).rejected);
      } catch (err) {
        if (err instanceof LoadError) throw err;
        failed.push({ variant: variant.name, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  const selection = select(manifest.variants, profile, manifest.fallback);
  const { rejected } = selection;
  const runnable = acceptable(manifest.variants, profile);
  const candidates = manifest.variants.filter(
    (v) => (v === selection.chosen || runnable.includes(v)) && !failed.some((f) => f.variant === v.name),
  );
  for (const variant of candidates) {
    try {
      // No `integrity` on the fetch: the browser would hold the body until it is whole, so that
      // compilation could not overlap the download. The body is verified as it streams instead.
      const res = await doFetch(variant.url);
      if (!res.ok) throw new Error(unavailable(res.status, manifest));
      return await tryVariant(variant, res, rejected);
    } catch (err) {
      if (err instanceof LoadError) throw err;
      failed.push({ variant: variant.name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  const last = failed.at(-1);
  throw new LoadError(
    name,
    last?.variant,
    last ? `every acceptable variant failed (${last.reason})` : 'no variant runs on this engine',
    { rejected, failed },
  );
}

/** Why a build's bytes could not be had; a pinned manifest whose bytes are gone says it is stale. */
function unavailable(status: number, manifest: RemoteModule): string {
  if (status !== 404 && status !== 410) return `HTTP ${status}`;
  const pinned = isPinned(manifest)
    ? `: the manifest pinned at ${manifest.name} ${manifest.version} is stale (a version removed, or its blobs collected since); pin it again with weft manifest ${manifest.name}`
    : '';
  return `HTTP ${status}, the server no longer has these bytes${pinned}`;
}

async function fetchEntry(
  doFetch: typeof fetch,
  base: string,
  name: string,
  version: string | undefined,
): Promise<RemoteModule> {
  const res = await doFetch(base);
  if (res.status === 404 || res.status === 410) throw await refusal(name, version, res);
  if (!res.ok)
    throw new LoadError(name, undefined, `the server answered ${res.status} for the module's manifest entry`);
  return (await res.json()) as RemoteModule;
}

/** A 404 or 410 as a LoadError that says what is missing: the module, the version, or a removed version. */
async function refusal(name: string, version: string | undefined, res: Response): Promise<LoadError> {
  const code = ((await res.json().catch(() => ({}))) as { error?: { code?: string } }).error?.code;
  const reason =
    code === 'version_removed'
      ? `version ${version} was removed (HTTP 410 version_removed)`
      : code === 'no_such_version'
        ? `version ${version} was never published (HTTP 404 no_such_version)`
        : `the server has no such module (HTTP ${res.status}${code ? ` ${code}` : ''})`;
  return new LoadError(name, undefined, reason);
}

/** The variant's polyfills installed (while its body waits in its stream). */
async function installFor(
  variant: RemoteVariant,
  profile: Profile,
  options: LoadOptions,
  server: string,
): Promise<unknown> {
  if (!variant.polyfills.length) return { installed: [] };
  return (options.installPolyfills ?? defaultInstaller(server))(profile, variant.polyfills);
}

/**
 * One variant's bytes to a result: compiled as they stream and instantiated once verified. A
 * download, integrity or compile failure is thrown as is (the caller falls back to the next
 * variant); a failure to instantiate verified bytes is a LoadError (no other variant would link better).
 */
async function instantiateChosen(res: Response, got: Chosen, options: LoadOptions): Promise<LoadResult> {
  const { name, ...rest } = got;
  const { variant } = got;
  const given = options.imports;
  // The engine reads the import object only to instantiate, once the bytes checked out: a function
  // of the variant is called then (never for bytes that fail), not before the download.
  let made: WebAssembly.Imports | undefined;
  const imports =
    options.instantiate === false
      ? undefined
      : typeof given === 'function'
        ? new Proxy({} as WebAssembly.Imports, {
            get: (_, key) => {
              made ??= given(variant);
              return made[key as string];
            },
          })
        : (given ?? {});
  try {
    return {
      ...rest,
      ...(await instantiateVerified(res, variant, variant.name, imports, options.onProgress)),
    };
  } catch (err) {
    if (variantFault(err)) throw err;
    throw new LoadError(
      name,
      variant.name,
      `instantiation failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

// Set by scripts/build.mjs for the browser bundle (/v1/sdk.js), so that bundle never carries the
// polyfills: browsers fetch just the ones a variant needs from /v1/polyfills.js?need=.
declare const WEFT_BROWSER_BUNDLE: boolean | undefined;

function defaultInstaller(server: string) {
  return async (profile: Profile, needed: PolyfillName[]) => {
    let mod: { installPolyfills(p: Profile, n: PolyfillName[]): unknown };
    if (typeof WEFT_BROWSER_BUNDLE === 'boolean' && WEFT_BROWSER_BUNDLE) {
      mod = await import(/* @vite-ignore */ `${server}${POLYFILLS_PATH}?need=${needed.join(',')}`);
    } else {
      mod = await import('../polyfill/index.js');
    }
    return mod.installPolyfills(profile, needed);
  };
}
