import type { Context, Hono } from 'hono';
import { addressOfHex, sriOfAddress } from '../../contract/address.js';
import { blobPath, bundleBase, ROUTES } from '../../contract/paths.js';
import { threadModel } from '../../profile/caps.js';
import { formatCapsList } from '../../profile/codec.js';
import { select } from '../../profile/select.js';
import type { RemoteBundle, RemoteModule, ResolveAnswer } from '../../profile/wire.js';
import type { Bundle } from '../../registry/bundle.js';
import { isRemoved, type ModuleEntry, type Variant } from '../../registry/schema.js';
import { appendVary, blobResponse } from '../blob-response.js';
import type { AppContext } from '../context.js';
import { throughEdgeCache } from '../edge-cache.js';
import { ApiError } from '../errors.js';
import type { RequestProfile } from '../profile-input.js';
import { methodNotAllowed, moduleRef, requestProfile, v1Path, v1Url } from './params.js';

/** Negotiated answers: short-lived and revalidated, since a new publish can change them. */
const NEGOTIATED_CACHE = 'public, max-age=60, must-revalidate';

/**
 * The record a read answers from: the module's current one, or the version it pins (410 when that
 * version was removed, 404 when it was never published): never another version's.
 */
export async function moduleEntry(ctx: AppContext, c: Context): Promise<[string, ModuleEntry]> {
  const { name, version } = moduleRef(c);
  if (version === undefined) {
    const entry = await ctx.catalog.module(name);
    if (!entry) throw new ApiError(404, 'no such module');
    return [name, entry];
  }
  const pinned = await ctx.catalog.version(name, version);
  if (pinned && isRemoved(pinned))
    throw new ApiError(410, 'the version asked for was removed', { code: 'version_removed' });
  if (pinned) return [name, pinned];
  if (!(await ctx.catalog.module(name))) throw new ApiError(404, 'no such module');
  throw new ApiError(404, 'the version asked for was never published', { code: 'no_such_version' });
}

// Integrity per variant record, computed once per loaded record (records are replaced on reload).
const integrities = new WeakMap<Variant, string>();

function describeVariant(c: Context, v: Variant) {
  let integrity = integrities.get(v);
  if (!integrity) {
    integrity = sriOfAddress(v.blob);
    integrities.set(v, integrity);
  }
  const { bundle, ...rest } = v;
  return {
    ...rest,
    url: v1Url(c, blobPath(v.blob)),
    integrity,
    ...(bundle ? { bundle: describeBundle(c, bundle) } : {}),
  };
}

// A bundle's files as answers show them, derived once per loaded record (records are replaced on reload).
const bundleFiles = new WeakMap<Bundle, RemoteBundle['files']>();

/** A bundle as answers show it (contract.md): its base URL, entry, and each file's SRI integrity. */
function describeBundle(c: Context, bundle: Bundle): RemoteBundle {
  let files = bundleFiles.get(bundle);
  if (!files) {
    files = bundle.files.map((f) => ({
      path: f.path,
      role: f.role,
      size: f.size,
      integrity: sriOfAddress(addressOfHex(f.sha256)),
      ...(f.pieces ? { pieces: f.pieces } : {}),
    }));
    bundleFiles.set(bundle, files);
  }
  return { id: bundle.id, base: v1Url(c, bundleBase(bundle.id)), entry: bundle.entry, files };
}

/** Selects for the request's profile; 406 with every rejection when nothing fits. */
function choose(ctx: AppContext, name: string, entry: ModuleEntry, profile: RequestProfile) {
  const result = select(entry.variants, profile, entry.fallback);
  ctx.stats.record(profile.caps, name, result.chosen?.name ?? null);
  const profileReport = {
    host: profile.host,
    caps: profile.caps,
    model: threadModel(profile.caps),
    source: profile.source,
    unknown: profile.unknown,
  };
  if (!result.chosen) {
    throw new ApiError(406, 'no variant of this module runs on the given profile', {
      details: { module: name, rejected: result.rejected, profile: profileReport },
    });
  }
  return {
    chosen: result.chosen,
    fallback: result.fallback,
    threads: result.threads,
    rejected: result.rejected,
    profile: profileReport,
  };
}

/** Headers every negotiated answer carries: where the profile came from, and what the cache must vary on. */
function negotiationHeaders(profile: RequestProfile): Record<string, string> {
  const headers: Record<string, string> = { 'Weft-Profile-Source': profile.source };
  if (profile.source === 'header') headers.Vary = 'Wasm-Caps';
  if (profile.source === 'user-agent') headers.Vary = appendVary('Wasm-Caps', 'User-Agent');
  return headers;
}

export function moduleRoutes(app: Hono, ctx: AppContext): void {
  app.get(ROUTES.modules, async (c) => {
    return c.json({ modules: await ctx.catalog.modules() });
  });

  app.get(ROUTES.module, async (c) => {
    const [name, entry] = await moduleEntry(ctx, c);
    const answer: RemoteModule = {
      name,
      ...entry,
      variants: entry.variants.map((v) => describeVariant(c, v)),
    };
    return c.json(answer);
  });

  // A cached answer still counts in the statistics: the profile is in the query, the variant in a header.
  const countHit = (c: Context) => (hit: Response) => {
    ctx.stats.record(requestProfile(c).caps, moduleRef(c).name, hit.headers.get('Wasm-Variant'));
  };

  app.get(ROUTES.resolve, (c) => throughEdgeCache(c, ctx, () => resolve(c), countHit(c)));
  const resolve = async (c: Context) => {
    const [name, entry] = await moduleEntry(ctx, c);
    const profile = requestProfile(c);
    const { chosen, fallback, threads, rejected, profile: report } = choose(ctx, name, entry, profile);
    const v = describeVariant(c, chosen);
    for (const [k, value] of Object.entries(negotiationHeaders(profile))) c.header(k, value);
    c.header('Cache-Control', NEGOTIATED_CACHE);
    c.header('Wasm-Variant', v.name);
    const answer: ResolveAnswer = {
      module: name,
      version: entry.version,
      variant: v.name,
      model: v.model,
      url: v.url,
      integrity: v.integrity,
      ...(v.pieces ? { pieces: v.pieces } : {}),
      size: v.size,
      requires: v.requires,
      polyfills: v.polyfills,
      // Whether the build may start threads here: false for an optional-threads build on a
      // profile that cannot run them (its glue must stay on one thread), and for single builds.
      threads,
      ...(v.threads ? { optionalThreads: true as const } : {}),
      ...(v.hosts ? { hosts: v.hosts } : {}),
      ...(v.bundle ? { bundle: v.bundle } : {}),
      fallback,
      rejected,
      profile: { ...report, canonical: formatCapsList(profile.caps) },
    };
    return c.json(answer);
  };

  app.on(['GET', 'HEAD'], ROUTES.wasm, (c) => throughEdgeCache(c, ctx, () => wasm(c), countHit(c)));
  const wasm = async (c: Context) => {
    const [name, entry] = await moduleEntry(ctx, c);
    const profile = requestProfile(c);
    const { chosen } = choose(ctx, name, entry, profile);
    const headers = negotiationHeaders(profile);
    const meta = await ctx.catalog.blob(chosen.blob);
    return blobResponse(c, ctx.store, {
      blob: chosen.blob,
      ...(meta?.encodings ? { encodings: meta.encodings } : {}),
      cacheControl: NEGOTIATED_CACHE,
      precompressed: ctx.options.precompressed,
      cache: ctx.blobCache,
      headers: {
        ...headers,
        'Wasm-Variant': chosen.name,
        Link: `<${v1Path(c, blobPath(chosen.blob))}>; rel="alternate"; type="application/wasm"`,
      },
    });
  };

  for (const path of [ROUTES.modules, ROUTES.module, ROUTES.resolve]) {
    app.on(['POST', 'PUT', 'DELETE', 'PATCH'], path, methodNotAllowed('GET, HEAD'));
  }
  app.on(['POST', 'PUT', 'DELETE', 'PATCH'], ROUTES.wasm, methodNotAllowed('GET, HEAD'));
}
