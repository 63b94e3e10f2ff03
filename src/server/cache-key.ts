/**
 * The cache key of a negotiated request: one profile written in any order, with duplicates, or as
 * the list or the token, is one entry. Pure, so the Workers entry can key its edge cache on it.
 */
import { formatCapsList } from '../profile/codec.js';
import type { RequestProfile } from './profile-input.js';

const NEGOTIATED = /^\/v1\/modules\/[a-z0-9][a-z0-9._-]{0,63}\/(?:wasm|resolve)$/;
const QUERY_KEYS = new Set(['caps', 'host', 'profile']);

/**
 * The canonical URL of a negotiated GET whose profile came from the query (`caps=` + `host=`, or
 * `profile=`), derived from the one parsed profile of the request; null when the request is not one
 * (other routes, other parameters, header or User-Agent profiles, names this server does not know,
 * which its answers report back): those go to the app uncached.
 */
export function negotiatedCacheKey(url: URL, profile: RequestProfile): string | null {
  if (!NEGOTIATED.test(url.pathname) || profile.source !== 'query' || profile.unknown.length) return null;
  for (const key of url.searchParams.keys()) if (!QUERY_KEYS.has(key)) return null;
  return `${url.origin}${url.pathname}?caps=${formatCapsList(profile.caps)}&host=${profile.host}`;
}
