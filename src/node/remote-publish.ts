/**
 * `weft publish <dir> --server URL`: every build of the folder published whole (wasm, glue,
 * workers), as `--store` would publish it, over the upload protocol (docs/contract.md, "Publishing
 * a whole build over HTTP"): ask which files the server lacks, upload only those, then commit the
 * module's builds in one step, which the server checks and records by compare-and-swap. Progress
 * goes to stderr; `--json` prints a summary on stdout.
 */

import { createHash } from 'node:crypto';
import { addressOfHex } from '../contract/address.js';
import { commitPath, filePath, MISSING_PATH } from '../contract/paths.js';
import { inspect } from '../inspect/index.js';
import { type Role, roleOf } from '../registry/bundle.js';
import type { CommitRequest } from '../registry/commit.js';
import type { VariantDeclaration } from '../registry/declaration.js';
import { glueOf } from '../registry/plan.js';
import type { PublishSetResult } from '../registry/publish.js';
import type { Variant } from '../registry/schema.js';
import type { FolderPlan } from './description.js';

/** What a publish reports, from the store or from the server's answers. */
export interface Published {
  published: PublishSetResult['published'];
  ordering: { variants: string[]; reasons: string[]; hidden: { variant: string; by: string }[] };
}

interface PlannedFile {
  variant: string;
  path: string;
  role: Role;
  hash: string;
  size: number;
  bytes: Uint8Array;
}

export interface RemoteOptions {
  /** Print a machine-readable summary on stdout instead of returning the result for the CLI to print. */
  json?: boolean;
  /** The publish token (default: WEFT_PUBLISH_TOKEN). */
  token?: string;
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
}

/** A size for people: B, KiB or MiB. */
export const kib = (n: number) =>
  n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
const hashOf = (bytes: Uint8Array) => addressOfHex(createHash('sha256').update(bytes).digest('hex'));

/** A build's files with their roles and hashes; a wasm alone is sent as one file (a wasm-only variant). */
export function filesOf(v: FolderPlan['variants'][number]): PlannedFile[] {
  const files = v.bundle?.files ?? [{ path: `${v.variant}.wasm`, bytes: v.bytes }];
  const wasmPath = v.bundle?.wasmPath ?? `${v.variant}.wasm`;
  return files.map((f) => {
    const bytes = f.bytes ?? new Uint8Array();
    return {
      variant: v.variant,
      path: f.path,
      role: roleOf(f.path, wasmPath),
      hash: hashOf(bytes),
      size: bytes.length,
      bytes,
    };
  });
}

/** A parsed declaration back in its wire form (the commit's `declaration`). */
function wireDeclaration(d: VariantDeclaration = {}): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  if (d.requires)
    out.requires = [...d.requires.add.map((c) => `+${c}`), ...d.requires.remove.map((c) => `-${c}`)];
  if (d.model) out.model = d.model;
  if (d.threads) out.threads = d.threads;
  if (d.polyfills) out.polyfills = d.polyfills;
  if (d.hosts) out.hosts = d.hosts;
  return Object.keys(out).length ? out : undefined;
}

class RemoteError extends Error {
  constructor(
    message: string,
    /** The server's error code, when it answered one (`missing_files`). */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Publishes a plan to a server; a number is the exit code (an error already said, or `--json` printed). */
export async function publishRemote(
  server: string,
  plan: FolderPlan,
  options: RemoteOptions = {},
): Promise<Published | number> {
  const token = options.token ?? process.env.WEFT_PUBLISH_TOKEN;
  const log = options.log ?? ((line: string) => console.error(line));
  if (!token) {
    console.error('weft publish: set WEFT_PUBLISH_TOKEN to publish to a server');
    return 2;
  }
  // Under the server's own path: weft may be mounted at one (https://site/wasm).
  const base = server.replace(/\/+$/, '');
  // `new` asks the server for an upload lease with the first question; its id is sent from then on
  // (a server that answers none gets nothing more).
  let lease: string | undefined = 'new';
  const call = async (step: string, path: string, init: RequestInit): Promise<Record<string, unknown>> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        ...init,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(lease ? { 'Weft-Upload-Lease': lease } : {}),
          ...(init.headers as Record<string, string>),
        },
      });
    } catch (err) {
      throw new RemoteError(
        `${step}: ${(err as Error).message} (${(err as { cause?: Error }).cause?.message ?? 'no answer'})`,
      );
    }
    const answer = (await res.json().catch(() => ({}))) as Record<string, unknown> & {
      error?: { code?: string; message?: string; missing?: string[] };
    };
    if (!res.ok)
      throw new RemoteError(
        `${step}: HTTP ${res.status} ${answer.error?.code ?? ''}: ${answer.error?.message ?? 'no error message'}`,
        answer.error?.code,
      );
    return answer;
  };
  const json = (body: unknown): RequestInit => ({
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });

  try {
    const files = plan.variants.flatMap(filesOf);
    const unique = [...new Map(files.map((f) => [f.hash, f])).values()];
    const total = unique.reduce((n, f) => n + f.size, 0);
    log(
      `weft publish: ${plan.module}: ${plan.variants.length} build(s), ${files.length} file(s) (${unique.length} distinct, ${kib(total)}): asking ${base} which it lacks`,
    );
    /** Asks which files the server lacks and uploads those. */
    const upload = async () => {
      const asked = await call(
        'missing',
        MISSING_PATH,
        json({ files: unique.map(({ hash, size }) => ({ hash, size })) }),
      );
      const tooLarge = (asked.tooLarge as string[] | undefined) ?? [];
      if (tooLarge.length) {
        const f = unique.find((u) => tooLarge.includes(u.hash))!;
        throw new RemoteError(
          `${f.variant}/${f.path} is ${kib(f.size)}, over the server's per-file limit of ${kib(asked.maxFileBytes as number)}: nothing was sent`,
        );
      }
      // Carried to the commit: while it is fresh, the server's gc leaves these files alone.
      lease = typeof asked.lease === 'string' ? asked.lease : undefined;
      const missing = new Set(asked.missing as string[]);
      const send = unique.filter((f) => missing.has(f.hash));
      const skipped = unique.filter((f) => !missing.has(f.hash));
      if (skipped.length)
        log(
          `  skip ${skipped.length} file(s), ${kib(skipped.reduce((n, f) => n + f.size, 0))}: the server has them (${skipped
            .map((f) => `${f.variant}/${f.path}`)
            .slice(0, 6)
            .join(', ')}${skipped.length > 6 ? ', ...' : ''})`,
        );
      for (const [i, f] of send.entries()) {
        log(`  upload ${i + 1}/${send.length} ${f.variant}/${f.path} (${kib(f.size)})`);
        await call(`upload ${f.variant}/${f.path}`, filePath(f.hash), {
          method: 'PUT',
          body: f.bytes as Uint8Array<ArrayBuffer>,
          headers: { 'Content-Type': 'application/octet-stream' },
        });
      }
      return { send, skipped };
    };
    let { send, skipped } = await upload();
    const commit: CommitRequest = {
      ...(plan.version ? { version: plan.version } : {}),
      ...(plan.fallback ? { fallback: plan.fallback } : {}),
      ...(plan.order ? { order: plan.order } : {}),
      variants: plan.variants.map((v) => {
        const declaration = wireDeclaration(v.declaration);
        return {
          name: v.variant,
          ...(v.bundle?.entry ? { entry: v.bundle.entry } : {}),
          files: files
            .filter((f) => f.variant === v.variant)
            .map(({ path, role, hash, size }) => ({ path, role, hash, size })),
          ...(declaration ? { declaration } : {}),
        };
      }),
    };
    log(`  commit ${plan.variants.map((v) => v.variant).join(', ')} as ${plan.module}`);
    const commitOnce = async () =>
      (await call('commit', commitPath(plan.module), json(commit))) as {
        version: string;
        published: { variant: Variant }[];
        order: Published['ordering'];
      };
    let answer: Awaited<ReturnType<typeof commitOnce>>;
    let resent: PlannedFile[] = [];
    try {
      answer = await commitOnce();
    } catch (err) {
      // Garbage collection took a file between the question and the commit (an upload waits its
      // grace, a file the server already had does not): ask again, send what is gone, commit once more.
      if (!(err instanceof RemoteError) || err.code !== 'missing_files') throw err;
      log('  the server no longer has some files (collected meanwhile): uploading them again');
      ({ send: resent } = await upload());
      answer = await commitOnce();
    }
    send = [...send, ...resent];
    skipped = skipped.filter((f) => !resent.includes(f));
    const sent = send.reduce((n, f) => n + f.size, 0);
    log(
      `weft publish: ${plan.module} ${answer.version} committed: ${send.length} file(s) uploaded (${kib(sent)}), ${skipped.length} skipped`,
    );
    if (options.json) {
      console.log(
        JSON.stringify({
          server: base,
          module: plan.module,
          version: answer.version,
          variants: answer.published.map((p) => p.variant),
          order: answer.order,
          files: { total: unique.length, uploaded: send.length, skipped: skipped.length },
          bytes: { total, uploaded: sent, skipped: total - sent },
          uploaded: send.map(({ variant, path, hash, size }) => ({ variant, path, hash, size })),
        }),
      );
      return 0;
    }
    // The report of what the glue showed, read here as the server read it (the same inspector).
    const published = answer.published.map((p) => {
      const v = plan.variants.find((x) => x.variant === p.variant.name)!;
      return { variant: p.variant, report: inspect(v.bytes, { glue: glueOf(v) }) };
    });
    return { published, ordering: answer.order };
  } catch (err) {
    if (!(err instanceof RemoteError)) throw err;
    console.error(`weft publish: ${err.message}`);
    return 1;
  }
}
