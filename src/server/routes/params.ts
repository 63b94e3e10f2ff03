import type { Context } from 'hono';
import { ApiError } from '../errors.js';
import { NAME } from '../manifest.js';
import { profileFrom, type RequestProfile } from '../profile-input.js';

/** A path name (module or variant): validated, never echoed. */
export function nameParam(c: Context, key: 'name' | 'variant'): string {
  const value = c.req.param(key) ?? '';
  if (!NAME.test(value)) throw new ApiError(400, `invalid ${key === 'name' ? 'module' : 'variant'} name`);
  return value;
}

export function requestProfile(c: Context): RequestProfile {
  return profileFrom({
    caps: c.req.query('caps'),
    profile: c.req.query('profile'),
    host: c.req.query('host'),
    header: c.req.header('Wasm-Caps'),
    userAgent: c.req.header('User-Agent'),
  });
}

/** Known routes answer 405 (with Allow) to other methods, instead of 404. */
export function methodNotAllowed(allow: string) {
  return (): never => {
    throw new ApiError(405, 'method not allowed on this route', { headers: { Allow: allow } });
  };
}
