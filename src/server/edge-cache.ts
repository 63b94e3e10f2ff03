import type { Context } from 'hono';
import { generationOf } from '../registry/catalog.js';
import { negotiatedCacheKey } from './cache-key.js';
import type { AppContext } from './context.js';
import { moduleRef, requestProfile } from './routes/params.js';

export type { EdgeCache } from './context.js';

/**
 * Answers a negotiated GET from the shared cache when it can, else from `answer` (and stores a 200).
 * Only profiles in the query are cached; conditional and range requests always reach `answer`.
 * `onHit` lets the caller count what a cached answer served.
 */
export async function throughEdgeCache(
  c: Context,
  ctx: AppContext,
  answer: () => Promise<Response>,
  onHit: (hit: Response) => void,
): Promise<Response> {
  const cache = ctx.options.edgeCache;
  if (!cache || c.req.method !== 'GET' || c.req.header('If-None-Match') || c.req.header('Range'))
    return answer();
  const base = negotiatedCacheKey(new URL(c.req.url), requestProfile(c));
  if (!base) return answer();
  // The generation of the record answered from (the current one, or the pinned version's): a
  // publish of this module, or a removal of that version, changes the key; one of another does not.
  const { name, version } = moduleRef(c);
  const entry =
    version === undefined ? await ctx.catalog.module(name) : await ctx.catalog.version(name, version);
  const key = new Request(`${base}&record=${entry ? generationOf(entry) : 'none'}`);
  const hit = await cache.match(key);
  if (hit) {
    onHit(hit);
    return hit;
  }
  const response = await answer();
  if (response.status === 200) {
    const stored = new Response(response.clone().body, response);
    stored.headers.set('Weft-Cache', 'hit');
    await cache.put(key, stored);
  }
  return response;
}
