/**
 * The cache key of a negotiated request: one profile written in any order, with duplicates, or as
 * the list or the token, is one entry. Pure, so the Workers entry can key its edge cache on it.
 */
import { decodeToken, formatCapsList, parseCapsList } from '../profile/codec.js';

const NEGOTIATED = /^\/v1\/modules\/[a-z0-9][a-z0-9._-]{0,63}\/(?:wasm|resolve)$/;

/**
 * The canonical URL of a negotiated GET whose profile is in the query (`caps=` + `host=`, or
 * `profile=`), or null when the request is not one (other routes, header or User-Agent profiles,
 * malformed input: those go to the app uncached, which answers them itself).
 */
export function negotiatedCacheKey(url: URL): string | null {
  if (!NEGOTIATED.test(url.pathname)) return null;
  const params = url.searchParams;
  const known = new Set(['caps', 'host', 'profile']);
  for (const key of params.keys()) if (!known.has(key)) return null;
  try {
    let caps: string;
    let host: string;
    const token = params.get('profile');
    // Names the server does not know are reported back in the answer, so such requests stay uncached.
    if (token !== null) {
      const { value, unknown } = decodeToken(token);
      if (unknown.length) return null;
      caps = formatCapsList(value.caps);
      host = value.host;
    } else {
      const list = params.get('caps');
      if (list === null) return null;
      const { value, unknown } = parseCapsList(list);
      if (unknown.length) return null;
      caps = formatCapsList(value);
      host = params.get('host') ?? 'unknown';
    }
    return `${url.origin}${url.pathname}?caps=${caps}&host=${host}`;
  } catch {
    return null;
  }
}
