/**
 * The Node entry's answer cache for `/resolve`: what Workers get from `caches.default`, kept in the
 * process. An answer negotiated from a profile in the query depends only on the URL, the Host (its
 * absolute URLs) and the module's record, so once the app has made it, the same request is answered
 * with the same bytes straight from `node:http`, without the app, for as long as the catalog still
 * holds that very record (a publish, or a record reloaded, makes the next request go to the app).
 * Hits are counted in the statistics like any answer. What qualifies is what the Workers edge cache
 * keeps (server/cache-key.ts: the one eligibility rule), a GET of `/resolve` with no `Wasm-Caps`, no
 * conditional or range header; a pinned version (`app@1.2.0`, `?version=`) never does, since its
 * removal does not change the module's current record.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Capability } from '../profile/caps.js';
import type { Catalog } from '../registry/catalog.js';
import type { ModuleEntry } from '../registry/schema.js';
import { negotiatedCacheKey } from '../server/cache-key.js';
import { profileFrom } from '../server/profile-input.js';
import type { Stats } from '../server/stats.js';

const HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-fA-F:.]+\](?::\d{1,5})?$/;
/** Most answers kept (oldest out first), and most requests remembered as asked for once. */
const MAX_ANSWERS = 4096;

interface Answer {
  record: ModuleEntry;
  module: string;
  variant: string;
  caps: Capability[];
  /** Names and values in turn, as `writeHead` takes them without building an object. */
  headers: string[];
  body: Uint8Array;
}

type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>;

export interface AnswerCache {
  /** Answers `req` from the cache when it can (true); false leaves it to the app. */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
  /** The app's fetch, keeping each answer it can serve again. */
  wrap(fetch: Fetch): Fetch;
}

const plain = (headers: { has(name: string): boolean } | IncomingMessage['headers']): boolean =>
  'has' in headers && typeof headers.has === 'function'
    ? !headers.has('wasm-caps') && !headers.has('if-none-match') && !headers.has('range')
    : !(headers as IncomingMessage['headers'])['wasm-caps'] &&
      !(headers as IncomingMessage['headers'])['if-none-match'] &&
      !(headers as IncomingMessage['headers']).range;

/**
 * The module a `/resolve` request under `mount` may be kept for, by the rule the edge cache keys on;
 * undefined for any other request (a malformed profile included: the app answers it).
 */
function cacheable(url: URL, headers: Headers, mount: string): string | undefined {
  if (!plain(headers) || !HOST.test(url.host) || !url.pathname.startsWith(`${mount}/v1/`)) return undefined;
  const path = new URL(url.pathname.slice(mount.length) + url.search, url.origin);
  if (!path.pathname.endsWith('/resolve')) return undefined;
  try {
    const q = path.searchParams;
    const profile = profileFrom({
      caps: q.get('caps') ?? undefined,
      profile: q.get('profile') ?? undefined,
      host: q.get('host') ?? undefined,
    });
    const key = negotiatedCacheKey(path, profile);
    // A pinned answer is the app's to make each time: `peek` follows the current record only.
    return key && !key.includes('&version=') ? new URL(key).pathname.split('/')[3] : undefined;
  } catch {
    return undefined;
  }
}

export function answerCache(weft: { catalog: Catalog; stats: Stats }, mount = ''): AnswerCache {
  const answers = new Map<string, Answer>();
  // An answer is kept only for a request asked for before (a doorkeeper): where every request names
  // another module, keeping each answer would cost a copy and a parse per request and never be used.
  const seen = new Set<string>();
  return {
    serve(req, res) {
      if (req.method !== 'GET' || !req.url || !req.headers.host) return false;
      const answer = answers.get(`${req.headers.host}${req.url}`);
      if (!answer || !plain(req.headers) || weft.catalog.peek(answer.module) !== answer.record) return false;
      weft.stats.record(answer.caps, answer.module, answer.variant);
      res.writeHead(200, answer.headers);
      res.end(answer.body);
      return true;
    },
    wrap(fetch) {
      return async (request, env) => {
        // Everything but a GET of /resolve goes straight to the app, without parsing its URL here.
        if (request.method !== 'GET' || !request.url.includes('/resolve?')) return fetch(request, env);
        const url = new URL(request.url);
        const name = cacheable(url, request.headers, mount);
        const before = name === undefined ? undefined : weft.catalog.peek(name);
        const response = await fetch(request, env);
        // The answer was made from `before` only if the catalog holds it still (a reload replaces the object).
        if (
          !before ||
          response.status !== 200 ||
          response.headers.get('Weft-Profile-Source') !== 'query' ||
          weft.catalog.peek(name!) !== before
        )
          return response;
        const key = `${url.host}${url.pathname}${url.search}`;
        if (!seen.delete(key)) {
          if (seen.size >= MAX_ANSWERS) seen.delete(seen.values().next().value!);
          seen.add(key);
          return response;
        }
        const body = new Uint8Array(await response.clone().arrayBuffer());
        const { variant, profile } = JSON.parse(new TextDecoder().decode(body)) as {
          variant: string;
          profile: { caps: Capability[] };
        };
        const headers = [...response.headers].flat();
        headers.push('content-length', String(body.length), 'weft-cache', 'hit');
        if (answers.size >= MAX_ANSWERS) answers.delete(answers.keys().next().value!);
        answers.set(key, {
          record: before,
          module: name!,
          variant,
          caps: profile.caps,
          headers,
          body,
        });
        return response;
      };
    },
  };
}
