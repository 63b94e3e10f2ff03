/**
 * `weft init worker`: the two files that deploy weft to Cloudflare from the installed package, a
 * wrangler.toml (the R2 bucket, the client scripts as static assets) and a worker.js over `weft/worker`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from './assets.js';

export const INIT_WORKER_USAGE = `usage: weft init worker [--bucket NAME] [--name WORKER] [--dir .] [--force]
  writes wrangler.toml and worker.js (weft/worker) into --dir; --bucket is the R2 bucket's name
  (default weft), --name the Worker's (default weft); --force overwrites existing files`;

/** The latest date the workerd of wrangler 4.86 accepts. */
export const COMPATIBILITY_DATE = '2026-05-03';

/** A Worker's and an R2 bucket's names: lower-case letters, digits and hyphens, 3 to 63 long. */
const NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export interface WorkerFiles {
  'wrangler.toml': string;
  'worker.js': string;
}

/** The files, for a bucket, a Worker name, and the client scripts' folder relative to wrangler.toml. */
export function workerFiles(o: { bucket: string; name: string; assetsDir: string }): WorkerFiles {
  return {
    'wrangler.toml': `name = "${o.name}"
main = "worker.js"
# No later than ${COMPATIBILITY_DATE}: the workerd that wrangler 4.86 brings refuses later dates.
compatibility_date = "${COMPATIBILITY_DATE}"

# The registry (create it with: npx wrangler r2 bucket create ${o.bucket}).
[[r2_buckets]]
binding = "WEFT_BUCKET"
bucket_name = "${o.bucket}"

# Failed publish logins, counted per Cloudflare location for every isolate of this Worker
# (SECURITY.md). Without it each isolate counts alone. namespace_id: any integer unique in your
# account; period 10 or 60 seconds.
[[ratelimits]]
name = "WEFT_AUTH_LIMIT"
namespace_id = "1001"
simple = { limit = 10, period = 60 }

# weft's built client scripts (/v1/sdk.js, /v1/probe.js, /v1/emscripten.js, polyfills), read by
# the Worker through this binding; it answers every request itself, with weft's CORS headers.
[assets]
directory = "${o.assetsDir}"
binding = "ASSETS"
run_worker_first = true
`,
    'worker.js': `// weft on Cloudflare Workers. Publishing is enabled by a token: npx wrangler secret put WEFT_PUBLISH_TOKEN
import { createWorker } from 'weft/worker';

export default createWorker({ bucket: 'WEFT_BUCKET', token: 'WEFT_PUBLISH_TOKEN', assets: 'ASSETS' });
`,
  };
}

/** Runs `weft init worker`; returns the exit code (2 for a usage error). */
export function initWorkerCommand(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      bucket: { type: 'string', default: 'weft' },
      name: { type: 'string', default: 'weft' },
      dir: { type: 'string', default: '.' },
      force: { type: 'boolean' },
    },
  });
  if (positionals.length !== 0) {
    console.error(INIT_WORKER_USAGE);
    return 2;
  }
  for (const [flag, value] of [
    ['--bucket', values.bucket],
    ['--name', values.name],
  ] as const) {
    if (!NAME.test(value)) {
      console.error(`weft init worker: ${flag} takes lower-case letters, digits and hyphens (3 to 63)`);
      return 2;
    }
  }
  const dir = resolve(values.dir);
  const assetsDir = relative(dir, join(PACKAGE_ROOT, 'dist', 'browser'))
    .split(sep)
    .join('/');
  const files = workerFiles({ bucket: values.bucket, name: values.name, assetsDir });
  const existing = Object.keys(files).filter((f) => existsSync(join(dir, f)));
  if (existing.length && !values.force) {
    console.error(`weft init worker: ${existing.join(' and ')} exist in ${dir} (--force overwrites)`);
    return 1;
  }
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  console.log(`weft: wrote wrangler.toml and worker.js in ${dir} (bucket ${values.bucket})`);
  console.log('next: npx wrangler r2 bucket create', values.bucket);
  console.log('      npx wrangler secret put WEFT_PUBLISH_TOKEN   (to publish over HTTP)');
  console.log('      npx wrangler deploy                          (or npx wrangler dev, offline)');
  return 0;
}
