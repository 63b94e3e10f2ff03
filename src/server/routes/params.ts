import type { Context } from 'hono';
import { isVersion, type ModuleRef, NAME, parseModuleRef, VERSION_RULE } from '../../contract/names.js';
import { ApiError } from '../errors.js';
import { profileFrom, type RequestProfile } from '../profile-input.js';

/** A path name (module or variant): validated, never echoed. */
export function nameParam(c: Context, key: 'name' | 'variant'): string {
  const value = c.req.param(key) ?? '';
  if (!NAME.test(value)) throw new ApiError(400, `invalid ${key === 'name' ? 'module' : 'variant'} name`);
  return value;
}

const refs = new WeakMap<Request, ModuleRef>();

/**
 * The module a read names, and the version it pins: `/v1/modules/app@1.2.0/...` or
 * `?version=1.2.0` (both may be given only when they agree). Validated, never echoed; read once per request.
 */
export function moduleRef(c: Context): ModuleRef {
  const known = refs.get(c.req.raw);
  if (known) return known;
  const raw = c.req.param('name') ?? '';
  const ref = parseModuleRef(raw);
  if (!ref)
    throw new ApiError(
      400,
      raw.includes('@') ? 'invalid pinned module: name@version' : 'invalid module name',
    );
  const asked = c.req.query('version');
  if (asked !== undefined) {
    // A `+` in a query is a space: send it as %2B.
    if (!isVersion(asked)) throw new ApiError(400, `version ${VERSION_RULE} (a + written %2B)`);
    if (ref.version !== undefined && ref.version !== asked)
      throw new ApiError(400, 'the path and ?version= pin two versions');
    ref.version = asked;
  }
  refs.set(c.req.raw, ref);
  return ref;
}

// The request's profile, parsed once: the edge cache's key, the answer and the statistics all read it.
const parsed = new WeakMap<Request, RequestProfile>();

/** The request's profile (query, `Wasm-Caps`, or a guess from the User-Agent), read once per request. */
export function requestProfile(c: Context): RequestProfile {
  let profile = parsed.get(c.req.raw);
  if (!profile) {
    profile = profileFrom({
      caps: c.req.query('caps'),
      profile: c.req.query('profile'),
      host: c.req.query('host'),
      header: c.req.header('Wasm-Caps'),
      userAgent: c.req.header('User-Agent'),
    });
    parsed.set(c.req.raw, profile);
  }
  return profile;
}

/** Known routes answer 405 (with Allow) to other methods, instead of 404. */
export function methodNotAllowed(allow: string) {
  return (): never => {
    throw new ApiError(405, 'method not allowed on this route', { headers: { Allow: allow } });
  };
}

/**
 * The path of one of weft's own `/v1/...` paths under the prefix weft is mounted at (a Hono
 * `app.route('/wasm', weft)` or the Node handler's `mount`): the matched route pattern holds that
 * prefix, and weft's own patterns hold `/v1/` once.
 */
export function v1Path(c: Context, path: string): string {
  const route = c.req.routePath;
  const at = route.lastIndexOf('/v1/');
  return (at > 0 ? route.slice(0, at) : '') + path;
}

/** The absolute URL of {@link v1Path}, on the request's own origin. */
export function v1Url(c: Context, path: string): string {
  return new URL(v1Path(c, path), c.req.url).href;
}
