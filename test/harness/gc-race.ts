/**
 * Garbage collection racing publishes, over HTTP only, for any two servers on one store (two
 * `weft serve` processes on one folder, two Workers on one R2 bucket): each round publishes fresh
 * builds (a wasm, its glue, a data file) through the upload protocol from both servers at once while
 * gc (grace 0) runs again and again through both; then every record's every referenced object must
 * be in the store and hash to its name (read from the store itself, not through the servers).
 */
import { createHash } from 'node:crypto';
import { custom, wasm } from '../../src/inspect/wasm-builder.js';
import type { Store } from '../../src/registry/store.js';

export type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const enc = new TextEncoder();

/** A whole build of its own bytes: a valid wasm, a glue that loads it, a data file. */
export function raceBuild(id: string): { path: string; bytes: Uint8Array; role?: 'wasm' }[] {
  return [
    { path: 'app.wasm', bytes: wasm(custom('weft.gc-race', [...enc.encode(id)])), role: 'wasm' },
    { path: 'app.js', bytes: enc.encode(`// ${id}\nfetch(new URL("app.wasm", import.meta.url));\n`) },
    { path: 'data.bin', bytes: enc.encode(`data of ${id} `.repeat(40)) },
  ];
}

export interface PublishOutcome {
  ok: boolean;
  tries: number;
  /** Commits answered missing_files: gc had taken an upload before its commit. */
  collected: number;
  last: string;
  /** The version the commit made, once it succeeded. */
  version?: string;
}

/** Publishes one build as a client does (ask, upload what is missing, commit), retrying what gc or a busy store refused. */
export async function publishBuild(
  via: Fetch,
  token: string,
  module: string,
  files: ReturnType<typeof raceBuild>,
  useLease = true,
  maxTries = 30,
): Promise<PublishOutcome> {
  let auth: Record<string, string> = { authorization: `Bearer ${token}` };
  const described = files.map((f) => ({
    path: f.path,
    hash: `sha256-${sha(f.bytes)}`,
    size: f.bytes.length,
    f,
  }));
  const out: PublishOutcome = { ok: false, tries: 0, collected: 0, last: '' };
  while (out.tries < maxTries) {
    out.tries++;
    const asked = await via('/v1/uploads/missing', {
      method: 'POST',
      headers: {
        ...auth,
        ...(useLease && out.tries === 1 ? { 'weft-upload-lease': 'new' } : {}),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ files: described.map(({ hash, size }) => ({ hash, size })) }),
    });
    if (asked.status !== 200) {
      out.last = `missing: ${asked.status} ${await asked.text()}`;
      continue;
    }
    const { missing, lease } = (await asked.json()) as { missing: string[]; lease: string };
    // The upload lease keeps gc from taking these files before the commit (as weft publish does).
    if (useLease && lease) auth = { ...auth, 'weft-upload-lease': lease };
    for (const d of described.filter((x) => missing.includes(x.hash))) {
      const res = await via(`/v1/files/${d.hash}`, {
        method: 'PUT',
        headers: auth,
        body: d.f.bytes as Uint8Array<ArrayBuffer>,
      });
      await res.arrayBuffer();
    }
    const commit = await via(`/v1/modules/${module}/commit`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        variants: [
          {
            name: 'web',
            files: described.map(({ path, hash, size, f }) => ({
              path,
              hash,
              size,
              ...(f.role ? { role: f.role } : {}),
            })),
          },
        ],
      }),
    });
    out.last = `commit: ${commit.status} ${await commit.text()}`;
    if (commit.status === 201) {
      out.ok = true;
      out.version = (JSON.parse(out.last.slice(out.last.indexOf('{'))) as { version: string }).version;
      return out;
    }
    if (out.last.includes('missing_files')) out.collected++;
    else await new Promise((r) => setTimeout(r, 20 * out.tries));
  }
  return out;
}

/**
 * Removes a module's version (every version stays pinnable until removed: removing the one a round
 * replaced is what turns its builds into garbage for gc to find while the next round publishes).
 */
export async function removeVersion(
  via: Fetch,
  token: string,
  module: string,
  version: string,
): Promise<string> {
  const res = await via(`/v1/modules/${module}/versions/${encodeURIComponent(version)}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await res.text();
  return res.status === 200 ? '' : `remove ${module} ${version}: ${res.status} ${text}`;
}

/**
 * After a round: removes, for each module a round published, the version it replaced, and
 * remembers the new one in `previous`. Returns the removals that failed (none expected).
 */
export async function removeReplaced(
  via: Fetch,
  token: string,
  previous: Map<string, string>,
  published: readonly { module: string; version?: string | undefined }[],
): Promise<string[]> {
  const failed: string[] = [];
  for (const { module, version } of published) {
    const before = previous.get(module);
    if (before) failed.push(await removeVersion(via, token, module, before));
    if (version) previous.set(module, version);
  }
  return failed.filter(Boolean);
}

export interface GcTally {
  runs: number;
  busy: number;
  deleted: number;
  failures: string[];
}

/** Runs gc (grace 0) through the servers in turn, a random 0 to `pauseMs` apart, until `stop` resolves. */
export async function gcLoop(
  servers: Fetch[],
  token: string,
  stop: Promise<void>,
  pauseMs = 100,
): Promise<GcTally> {
  const tally: GcTally = { runs: 0, busy: 0, deleted: 0, failures: [] };
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  for (let i = 0; !stopped; i++) {
    const res = await servers[i % servers.length]!('/v1/gc', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ grace: '0' }),
    });
    const answer = (await res.json()) as { deleted?: { objects: number }; error?: { code: string } };
    if (res.status === 200) {
      tally.runs++;
      tally.deleted += answer.deleted!.objects;
    } else if (res.status === 409 && answer.error?.code === 'gc_busy') tally.busy++;
    else tally.failures.push(`${res.status} ${JSON.stringify(answer)}`);
    // Again and again, not flat out: with grace 0 an upload waiting for its commit is fair game, and
    // a gc that ran between every upload and its commit would starve publishing (never lose it).
    await new Promise((r) => setTimeout(r, Math.random() * pauseMs));
  }
  return tally;
}

/**
 * Every record under modules/ and versions/, every object it refers to: each variant's blob (its
 * bytes hash to its name, its record is there) and bundle (its record, each file present and whole).
 * The problems found, or none.
 */
export async function verifyStore(
  store: Store,
): Promise<{ records: number; modules: number; objects: number; problems: string[] }> {
  const problems: string[] = [];
  let records = 0;
  const modules = (await store.list('modules/')).length;
  let objects = 0;
  const whole = async (key: string, hex: string, where: string) => {
    objects++;
    const bytes = await store.get(key);
    if (bytes === null) problems.push(`${where}: ${key} is missing`);
    else if (sha(bytes) !== hex) problems.push(`${where}: ${key} does not hash to its name`);
  };
  for (const key of [...(await store.list('modules/')), ...(await store.list('versions/'))]) {
    const record = JSON.parse(new TextDecoder().decode((await store.get(key))!)) as {
      variants?: { name: string; blob: string; bundle?: { id: string } }[];
    };
    records++;
    for (const v of record.variants ?? []) {
      const where = `${key} ${v.name}`;
      const hex = v.blob.slice('sha256-'.length);
      await whole(`blobs/${v.blob}.wasm`, hex, where);
      objects++;
      if ((await store.get(`blobs/${v.blob}.json`)) === null)
        problems.push(`${where}: blobs/${v.blob}.json is missing`);
      if (!v.bundle) continue;
      objects++;
      const bundle = await store.get(`bundles/${v.bundle.id}.json`);
      if (bundle === null) {
        problems.push(`${where}: bundles/${v.bundle.id}.json is missing`);
        continue;
      }
      const { files } = JSON.parse(new TextDecoder().decode(bundle)) as {
        files: { path: string; role: string; sha256: string }[];
      };
      for (const f of files)
        if (f.role !== 'wasm') await whole(`files/sha256-${f.sha256}`, f.sha256, `${where} ${f.path}`);
    }
  }
  return { records, modules, objects, problems };
}
