/**
 * `weft gc`: one garbage collection (registry/gc.ts) of a folder store, or of a server's store
 * through `POST /v1/gc` with the publish token. Prints the report (`--json`: the report alone).
 */

import { parseArgs } from 'node:util';
import { GC_PATH } from '../contract/paths.js';
import { collectGarbage, DEFAULT_GRACE_MS, GcError, type GcReport, parseGrace } from '../registry/gc.js';
import { fsStore } from '../registry/stores/fs.js';
import { kib } from './remote-publish.js';

export const GC_USAGE = `usage: weft gc (--store DIR | --server URL) [--grace 1h] [--dry-run] [--json]
  deletes the blobs, bundle records and uploaded files no record under modules/ or versions/ refers
  to, once gc has found each unreferenced for --grace (0: at once; default 1h); never one a record
  refers to, and never while a publish is in flight. --server reads WEFT_PUBLISH_TOKEN.
  --dry-run says what it would delete and changes nothing.`;

/** Runs `weft gc`; returns the exit code (2 usage, 1 gc did not run). */
export async function gcCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      store: { type: 'string' },
      server: { type: 'string' },
      grace: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const graceMs = values.grace === undefined ? DEFAULT_GRACE_MS : parseGrace(values.grace);
  if (positionals.length || !!values.store === !!values.server || graceMs === null) {
    console.error(
      graceMs === null ? `weft gc: --grace takes a duration: 0, 90s, 30m, 1h, 7d\n${GC_USAGE}` : GC_USAGE,
    );
    return 2;
  }
  const dryRun = values['dry-run'] === true;
  let report: GcReport;
  try {
    report = values.store
      ? await collectGarbage(fsStore({ dir: values.store }), { graceMs, dryRun })
      : await remoteGc(values.server!, values.grace ?? '1h', dryRun);
  } catch (err) {
    if (!(err instanceof GcError) && !(err instanceof RemoteGcError)) throw err;
    console.error(`weft gc: ${err.message}`);
    return err instanceof RemoteGcError && err.usage ? 2 : 1;
  }
  if (values.json) console.log(JSON.stringify(report));
  else console.log(describe(report));
  return 0;
}

class RemoteGcError extends Error {
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
  }
}

async function remoteGc(server: string, grace: string, dryRun: boolean): Promise<GcReport> {
  const token = process.env.WEFT_PUBLISH_TOKEN;
  if (!token) throw new RemoteGcError('set WEFT_PUBLISH_TOKEN to collect a server', true);
  const url = `${server.replace(/\/+$/, '')}${GC_PATH}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ grace, dryRun }),
    });
  } catch (err) {
    throw new RemoteGcError(`${url}: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  const answer = (await res.json().catch(() => ({}))) as GcReport & {
    error?: { code?: string; message?: string };
  };
  if (!res.ok)
    throw new RemoteGcError(
      `HTTP ${res.status} ${answer.error?.code ?? ''}: ${answer.error?.message ?? 'no error message'}`,
    );
  return answer;
}

/** The report for people. */
export function describe(r: GcReport): string {
  const t = (x: { objects: number; bytes: number }) => `${x.objects} (${kib(x.bytes)})`;
  return [
    `weft gc${r.dryRun ? ' (dry run: nothing changed)' : ''}: ${r.roots} record(s) read, grace ${r.graceMs / 1000} s, ${r.tookMs} ms`,
    `  kept     ${t(r.kept)}: referenced`,
    `  marked   ${t(r.marked)}: unreferenced, within their grace`,
    `  ${r.dryRun ? 'would delete' : 'deleted'}  ${t(r.deleted)}`,
  ].join('\n');
}
