/**
 * Where a request's profile comes from: the query (`caps=` or `profile=`), the `Wasm-Caps` header,
 * or, failing both, a conservative guess from the User-Agent that grants plain features only.
 */
import type { Capability, Host, Profile } from '../profile/caps.js';
import { decodeToken, isToken, parseCapsList, parseHost } from '../profile/codec.js';

export type ProfileSource = 'query' | 'header' | 'user-agent';

export interface RequestProfile extends Profile {
  source: ProfileSource;
  /** Names (or token bits) the client sent that this server does not know. */
  unknown: string[];
}

/** Widely shipped since 2021-2023 in Chromium 91+, Firefox 90+, Safari 16.4+: never threads, never SET. */
const BASELINE: Capability[] = [
  'bulk-memory',
  'multi-value',
  'mutable-globals',
  'reference-types',
  'sign-ext',
  'sat-float-to-int',
  'simd',
  'bigint',
];

export function guessFromUserAgent(ua: string | undefined): Profile {
  const version = (re: RegExp) => Number(re.exec(ua ?? '')?.[1] ?? 0);
  const modern =
    version(/Chrom(?:e|ium)\/(\d+)/) >= 91 ||
    version(/Firefox\/(\d+)/) >= 90 ||
    (version(/Version\/(\d+)(?:\.\d+)? .*Safari/) >= 17 && !/Chrom/.test(ua ?? ''));
  const host: Host = /Mozilla\//.test(ua ?? '') ? 'browser' : 'unknown';
  return { host, caps: modern ? [...BASELINE] : [] };
}

export interface ProfileParams {
  caps?: string | undefined;
  profile?: string | undefined;
  host?: string | undefined;
  header?: string | undefined;
  userAgent?: string | undefined;
}

/** The request's profile; malformed input is a 400 whose message says what was wrong, not what was sent. */
export function profileFrom(params: ProfileParams): RequestProfile {
  if (params.profile !== undefined) {
    const { value, unknown } = decodeToken(params.profile);
    return { ...value, source: 'query', unknown };
  }
  if (params.caps !== undefined) {
    const { value, unknown } = parseCapsList(params.caps);
    return {
      host: params.host ? parseHost(params.host) : 'unknown',
      caps: value,
      source: 'query',
      unknown,
    };
  }
  if (params.header !== undefined) {
    const text = params.header.trim();
    if (isToken(text)) {
      const { value, unknown } = decodeToken(text);
      return { ...value, source: 'header', unknown };
    }
    const { value, unknown } = parseCapsList(text);
    return { host: 'unknown', caps: value, source: 'header', unknown };
  }
  return { ...guessFromUserAgent(params.userAgent), source: 'user-agent', unknown: [] };
}
