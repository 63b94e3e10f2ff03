/**
 * The built Worker (dist/worker.js) as miniflare runs it in workerd, as wrangler.toml deploys it:
 * its compatibility date (the workerd the pinned miniflare brings refuses later ones), one R2
 * bucket bound as WEFT_BUCKET, and the publish token.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const WORKER = join(root, 'dist/worker.js');

/** One Worker's miniflare options; `extra` adds or replaces any (bindings, service bindings, ...). */
export function builtWorker(
  name: string,
  token: string,
  extra: Record<string, unknown> = {},
): {
  name: string;
  modules: true;
  scriptPath: string;
  compatibilityDate: string;
  r2Buckets: Record<string, string>;
  bindings: Record<string, string>;
} {
  if (!existsSync(WORKER)) throw new Error('dist/worker.js is missing: run `npm run build` first');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(
    readFileSync(join(root, 'wrangler.toml'), 'utf8'),
  )?.[1];
  if (!date) throw new Error('wrangler.toml has no compatibility_date');
  return {
    name,
    modules: true,
    scriptPath: WORKER,
    compatibilityDate: date,
    // One bucket name by default: miniflare backs a bucket with one Durable Object named by the
    // bucket (service `r2:bucket:weft`), so Workers bound to it reach the same objects.
    r2Buckets: { WEFT_BUCKET: 'weft' },
    bindings: { WEFT_PUBLISH_TOKEN: token },
    ...extra,
  };
}
