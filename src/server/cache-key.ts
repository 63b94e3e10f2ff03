/**
 * The cache key of a negotiated request: one profile written in any order, with duplicates, or as
 * the list or the token, is one entry. Pure, so the Workers entry can key its edge cache on it.
 */
import { isVersion, parseModuleRef } from '../contract/names.js';
import { modulePath } from '../contract/paths.js';
import { formatCapsList } from '../profile/codec.js';
import type { RequestProfile } from './profile-input.js';

const NEGOTIATED = /^\/v1\/modules\/([^/]{1,200})\/(wasm|resolve)$/;
const QUERY_KEYS = new Set(['caps', 'host', 'profile', 'version']);

/**
 * The canonical URL of a negotiated GET whose profile came from the query (`caps=` + `host=`, or
 * `profile=`), derived from the one parsed profile of the request, with the version it pins
 * (`app@1.2.0` or `?version=`) as one parameter; null when the request is not one (other routes,
 * other parameters, header or User-Agent profiles, names this server does not know, which its
 * answers report back, a pin that is not one): those go to the app uncached.
 */
export function negotiatedCacheKey(url: URL, profile: RequestProfile): string | null {
  const path = NEGOTIATED.exec(url.pathname);
  if (!path || profile.source !== 'query' || profile.unknown.length) return null;
  for (const key of url.searchParams.keys()) if (!QUERY_KEYS.has(key)) return null;
  let segment: string;
  try {
    segment = decodeURIComponent(path[1]!);
  } catch {
    return null;
  }
  const ref = parseModuleRef(segment);
  const asked = url.searchParams.get('version');
  if (!ref || (asked !== null && (!isVersion(asked) || (ref.version ?? asked) !== asked))) return null;
  const version = ref.version ?? asked;
  const pin = version === null ? '' : `&version=${encodeURIComponent(version)}`;
  return `${url.origin}${modulePath(ref.name)}/${path[2]}?caps=${formatCapsList(profile.caps)}&host=${profile.host}${pin}`;
}
