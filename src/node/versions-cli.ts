/**
 * `weft versions <module>`, `weft rollback <module> <version>`, `weft remove <module> <version>`:
 * a module's versions, in a folder store (`--store DIR`) or on a server (`--server URL`, the token
 * from WEFT_PUBLISH_TOKEN as for `weft publish --server`). Both ways end in the same registry
 * functions (registry/versions.ts), each one compare-and-swap.
 */

import { parseArgs } from 'node:util';
import { isName, isVersion, NAME_RULE, VERSION_RULE } from '../contract/names.js';
import { currentPath, versionPath, versionsPath } from '../contract/paths.js';
import { fsStore } from '../registry/stores/fs.js';
import {
  listVersions,
  removeVersion,
  rollback,
  VersionError,
  type VersionListing,
} from '../registry/versions.js';

export const VERSIONS_USAGE = `usage: weft versions <module> (--store DIR | --server URL) [--json]
       weft rollback <module> <version> (--store DIR | --server URL)   make an earlier version current
       weft remove <module> <version> (--store DIR | --server URL)     remove a version (never the current one)
  --server reads WEFT_PUBLISH_TOKEN (rollback and remove need it)`;

type Where = { store: string } | { server: string };

function parse(args: string[], positionals: number): { names: string[]; where: Where; json: boolean } | null {
  const { values, positionals: names } = parseArgs({
    args,
    allowPositionals: true,
    options: { store: { type: 'string' }, server: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (names.length !== positionals || !!values.store === !!values.server) return null;
  const where: Where = values.store
    ? { store: values.store }
    : { server: values.server!.replace(/\/+$/, '') };
  return { names, where, json: values.json === true };
}

class Refused extends Error {}

/** A server call; its JSON error (`version_removed`, ...) becomes one line. */
async function call(server: string, path: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const token = process.env.WEFT_PUBLISH_TOKEN;
  const res = await fetch(`${server}${path}`, {
    ...init,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(init.headers as Record<string, string>),
    },
  }).catch((err: Error) => {
    throw new Refused(
      `${server}: ${err.message} (${(err.cause as Error | undefined)?.message ?? 'no answer'})`,
    );
  });
  const answer = (await res.json().catch(() => ({}))) as Record<string, unknown> & {
    error?: { code?: string; message?: string };
  };
  if (!res.ok)
    throw new Refused(
      `HTTP ${res.status} ${answer.error?.code ?? ''}: ${answer.error?.message ?? 'no message'}`,
    );
  return answer;
}

function checked(module: string, version?: string): void {
  if (!isName(module)) throw new Refused(`the module name ${NAME_RULE}`);
  if (version !== undefined && !isVersion(version)) throw new Refused(`the version ${VERSION_RULE}`);
}

/** Runs one of the three commands; returns the exit code. */
export async function versionsCommand(
  command: 'versions' | 'rollback' | 'remove',
  args: string[],
): Promise<number> {
  const got = parse(args, command === 'versions' ? 1 : 2);
  if (!got) {
    console.error(VERSIONS_USAGE);
    return 2;
  }
  const [module, version] = got.names as [string, string | undefined];
  try {
    checked(module, version);
    if (command === 'versions') {
      const listing = (
        'store' in got.where
          ? await listVersions(fsStore({ dir: got.where.store }), module)
          : await call(got.where.server, versionsPath(module))
      ) as VersionListing | null;
      if (!listing) throw new Refused('no such module');
      if (got.json) console.log(JSON.stringify(listing));
      else print(listing);
      return 0;
    }
    const v = version!;
    if (command === 'rollback') {
      const previous =
        'store' in got.where
          ? (await rollback(fsStore({ dir: got.where.store }), module, v)).previous
          : (
              (await call(got.where.server, currentPath(module), {
                method: 'PUT',
                body: JSON.stringify({ version: v }),
                headers: { 'Content-Type': 'application/json' },
              })) as { previous: string }
            ).previous;
      console.log(
        previous === v
          ? `${module}: ${v} is current already`
          : `${module}: ${v} is current (was ${previous})`,
      );
      return 0;
    }
    if ('store' in got.where) await removeVersion(fsStore({ dir: got.where.store }), module, v);
    else
      await call(got.where.server, versionPath(module, v), {
        method: 'DELETE',
      });
    console.log(`${module}: ${v} removed (a pinned request for it is now 410 version_removed)`);
    return 0;
  } catch (err) {
    if (!(err instanceof Refused || err instanceof VersionError)) throw err;
    console.error(`weft ${command}: ${err.message}`);
    return 1;
  }
}

function print(listing: VersionListing): void {
  console.log(`${listing.name}: current ${listing.current}`);
  const width = Math.max(...listing.versions.map((v) => v.version.length));
  for (const v of listing.versions) {
    const when = v.removed
      ? `removed ${v.removed}`
      : v.published
        ? `published ${v.published}`
        : 'published before versions were kept';
    console.log(`  ${v.version.padEnd(width)}  ${when}${v.version === listing.current ? '  (current)' : ''}`);
  }
}
