/**
 * The two wire forms of a profile (contract.md): the readable list (`caps=threads,simd`) and the
 * compact versioned token (`profile=1Bx4`). Parsing is strict: junk is an error that says what was
 * wrong without echoing the input; well-formed names this version does not know are returned as
 * `unknown`, so newer clients keep working with older servers.
 */
import {
  CAPABILITIES,
  type Capability,
  capabilityIndex,
  HOSTS,
  type Host,
  isCapability,
  normalizeCaps,
  type Profile,
} from './caps.js';

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

export interface Parsed<T> {
  value: T;
  /** Well-formed names (or token bits) this version does not know, ignored. */
  unknown: string[];
}

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const MAX_LIST = 2048;
const MAX_ITEMS = 128;

/** Parses `threads,simd,bulk-memory` (order and duplicates do not matter; empty means none). */
export function parseCapsList(text: string): Parsed<Capability[]> {
  if (text.length > MAX_LIST) throw new ProfileError(`capability list longer than ${MAX_LIST} characters`);
  const items = text.split(',').map((s) => s.trim());
  if (items.length > MAX_ITEMS) throw new ProfileError(`more than ${MAX_ITEMS} capabilities`);
  const caps: Capability[] = [];
  const unknown = new Set<string>();
  items.forEach((item, i) => {
    if (item === '' && items.length === 1) return;
    if (!NAME.test(item)) throw new ProfileError(`capability ${i + 1} is not a kebab-case name`);
    if (isCapability(item)) caps.push(item);
    else unknown.add(item);
  });
  return { value: normalizeCaps(caps), unknown: [...unknown].sort() };
}

/** The canonical readable list: registry order, no duplicates. */
export function formatCapsList(caps: Iterable<Capability>): string {
  return normalizeCaps(caps).join(',');
}

export function parseHost(text: string): Host {
  if (!(HOSTS as readonly string[]).includes(text))
    throw new ProfileError(`host must be one of ${HOSTS.join(', ')}`);
  return text as Host;
}

// Token v1: '1', one digit for the host's index in HOSTS, then the capability bits in registry
// order, six per base64url digit, least significant first, with no trailing zero digits.
const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VERSION = '1';
const MAX_TOKEN = 64;

/**
 * The compact, URL-safe token of a profile (`profile=` and `Wasm-Caps`): versioned, one bit per
 * capability of the append-only registry.
 *
 * @example
 * encodeToken({ host: 'browser', caps: ['shared-memory', 'threads', 'workers'] }); // '1AH'
 * decodeToken('1AH').value; // { host: 'browser', caps: ['shared-memory', 'threads', 'workers'] }
 */
export function encodeToken(profile: Profile): string {
  const digits: number[] = [];
  for (const cap of profile.caps) {
    const bit = capabilityIndex(cap);
    const at = Math.floor(bit / 6);
    while (digits.length <= at) digits.push(0);
    digits[at]! |= 1 << (bit % 6);
  }
  return VERSION + DIGITS[HOSTS.indexOf(profile.host)] + digits.map((d) => DIGITS[d]).join('');
}

export function decodeToken(token: string): Parsed<Profile> {
  if (token.length > MAX_TOKEN) throw new ProfileError(`profile token longer than ${MAX_TOKEN} characters`);
  if (token[0] !== VERSION)
    throw new ProfileError(`unsupported profile token version (this server reads ${VERSION})`);
  if (token.length < 2) throw new ProfileError('profile token has no host');
  const values = [...token.slice(1)].map((ch) => DIGITS.indexOf(ch));
  if (values.some((v) => v < 0)) throw new ProfileError('profile token has characters outside base64url');
  const [hostIndex, ...digits] = values as [number, ...number[]];
  const host = HOSTS[hostIndex];
  if (!host) throw new ProfileError('profile token names an unknown host');
  if (digits.at(-1) === 0) throw new ProfileError('profile token is not canonical (trailing zero digit)');
  const caps: Capability[] = [];
  const unknown: string[] = [];
  digits.forEach((digit, at) => {
    for (let b = 0; b < 6; b++) {
      if (!(digit & (1 << b))) continue;
      const bit = at * 6 + b;
      const cap = CAPABILITIES[bit];
      if (cap) caps.push(cap);
      else unknown.push(`bit-${bit}`);
    }
  });
  return { value: { host, caps }, unknown };
}

/** A `Wasm-Caps` header or a `profile=`-style value: a token starts with its version digit, a list with a letter. */
export function isToken(text: string): boolean {
  return /^[0-9]/.test(text);
}
