/**
 * Every published version of a module, kept (docs/contract.md, "Versions"). Beside the current
 * record (`modules/<name>.json`) each version has `versions/<name>/v<enc>.json`: its snapshot (the
 * module record as it was, plus `published`), written once and never changed, or a tombstone
 * (`{schema, name, version, removed}`) once it is removed. Invariant: every version ever published
 * is its snapshot, or the current record, or both; a publish, a rollback and a removal each keep it,
 * by compare-and-swap, against each other in any interleaving.
 */
import { VERSION } from '../contract/names.js';
import { DeclarationError } from './declaration.js';
import { ensureMigrated } from './migrate.js';
import {
  markChanged,
  moduleKey,
  parseModule,
  parsePinned,
  parseVersionRecord,
  serializeModule,
  serializeSnapshot,
  serializeTombstone,
  swapRecord,
  versionKey,
  versionsPrefix,
} from './records.js';
import { isRemoved, ManifestError, type ModuleEntry, type Removed } from './schema.js';
import type { Store, Versioned } from './store.js';

/** A version as `GET /v1/modules/:name/versions` lists it. */
export interface VersionInfo {
  version: string;
  /** When it was published (ISO time); null for one published before versions were kept. */
  published: string | null;
  /** When it was removed (ISO time), for a removed one. */
  removed?: string;
}

export interface VersionListing {
  name: string;
  current: string;
  versions: VersionInfo[];
}

/** A request about versions the registry's state refuses: the server answers its code (errors.ts). */
export class VersionError extends Error {
  constructor(
    readonly code:
      | 'version_exists'
      | 'no_such_version'
      | 'version_removed'
      | 'version_current'
      | 'no_such_module',
    message: string,
  ) {
    super(message);
    this.name = 'VersionError';
  }
}

/** Writes a version's snapshot unless its key holds one (or its tombstone) already: written once, never changed. */
export async function keepSnapshot(store: Store, name: string, entry: ModuleEntry): Promise<void> {
  await store.putIf(
    versionKey(name, entry.version),
    serializeSnapshot(name, entry, new Date().toISOString()),
    null,
  );
}

/** Whether a version was ever published under this key (a snapshot or a tombstone). */
const taken = async (store: Store, name: string, version: string) =>
  (await store.get(versionKey(name, version))) !== null;

/** A module record's content apart from its version, in one spelling whatever its keys' order. */
function content(entry: ModuleEntry): string {
  const { version: _v, ...rest } = entry;
  return JSON.stringify(rest, (_k, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

/** `1.0.0` → `1.0.0+1`, `1.0.0+1` → `1.0.0+2`. */
function bump(version: string, n?: number): string {
  const m = /^(.*)\+(\d+)$/.exec(version);
  const base = m ? m[1]! : version;
  return `${base}+${n ?? (m ? Number(m[2]) + 1 : 1)}`;
}

/**
 * The version a publish gives the module's next record, or null when it makes none (it changes
 * nothing). Asked for: taken by the current record or any earlier version is `version_exists`,
 * unless the publish is an identical retry of the current one. Not asked: a new module starts at
 * `0.0.0`, else the current version's `+N` goes up, skipping any taken.
 */
export async function nextVersion(
  store: Store,
  name: string,
  outgoing: ModuleEntry | undefined,
  next: ModuleEntry,
  asked: string | undefined,
): Promise<string | null> {
  const same = outgoing !== undefined && content(outgoing) === content(next);
  if (asked !== undefined) {
    if (outgoing?.version === asked) {
      if (same) return null;
      throw new VersionError('version_exists', 'the version named is published already, with other builds');
    }
    if (await taken(store, name, asked))
      throw new VersionError(
        'version_exists',
        'the version named was published already (versions are immutable)',
      );
    return asked;
  }
  if (same) return null;
  let version = outgoing ? bump(outgoing.version) : '0.0.0';
  for (let tries = 0; await taken(store, name, version); tries++) {
    if (tries > 1000) throw new VersionError('version_exists', 'no free +N version: publish with a version');
    version = outgoing ? bump(version) : bump('0.0.0', tries + 1);
  }
  if (!VERSION.test(version))
    throw new DeclarationError(
      'version',
      'the next +N version would be over 64 characters: publish with a version',
    );
  return version;
}

/** Every version of a module, oldest first (by version, numbers compared as numbers); null without the module. */
export async function listVersions(store: Store, name: string): Promise<VersionListing | null> {
  await ensureMigrated(store);
  const current = await store.get(moduleKey(name));
  if (!current) return null;
  const entry = parseModule(current, name);
  const versions: VersionInfo[] = [];
  for (const key of await store.list(versionsPrefix(name))) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    const version = (JSON.parse(new TextDecoder().decode(bytes)) as { version?: unknown }).version;
    if (!VERSION.test(String(version)) || key !== versionKey(name, String(version)))
      throw new ManifestError(`versions.${name}`, 'holds a record under a key that is not its version');
    const got = parseVersionRecord(bytes, name, String(version));
    versions.push(
      'entry' in got
        ? { version: got.entry.version, published: got.published }
        : { version: got.version, published: null, removed: got.removed },
    );
  }
  if (!versions.some((v) => v.version === entry.version))
    versions.push({ version: entry.version, published: null });
  versions.sort((a, b) => a.version.localeCompare(b.version, 'en', { numeric: true }));
  return { name, current: entry.version, versions };
}

/** A version's record read for a change; `no_such_version` when it was never published. */
function pinned(got: Versioned | null, name: string, version: string) {
  if (!got) throw new VersionError('no_such_version', 'the version asked for was never published');
  return { ...got, record: parseVersionRecord(got.value, name, version) };
}

function currentOf(got: Versioned | null, name: string) {
  if (!got) throw new VersionError('no_such_module', 'no such module');
  return { ...got, entry: parseModule(got.value, name) };
}

/**
 * Makes an earlier version current again, in one compare-and-swap of the module's record (the
 * outgoing one keeps its snapshot first). A removal racing it wins: the swap is undone and this
 * answers `version_removed`. Returns the version that was current before.
 */
export async function rollback(store: Store, name: string, version: string): Promise<{ previous: string }> {
  await ensureMigrated(store);
  const swapped = await swapRecord(
    store,
    moduleKey(name),
    async (got) => {
      const current = currentOf(got, name);
      if (current.entry.version === version) return { result: null };
      const target = pinned(await store.getVersioned(versionKey(name, version)), name, version);
      if (!('entry' in target.record))
        throw new VersionError('version_removed', 'the version asked for was removed');
      await keepSnapshot(store, name, current.entry);
      const write = serializeModule(name, target.record.entry);
      return { write, result: { before: current, written: write } };
    },
    `roll module ${name} back`,
  );
  if (!swapped) return { previous: version };
  // A removal that read the current record before this swap may have tombstoned the target since.
  const after = await store.get(versionKey(name, version));
  if (after && isRemoved(parsePinned(after, name, version))) {
    const now = await store.getVersioned(moduleKey(name));
    if (now && sameBytes(now.value, swapped.written))
      await store.putIf(moduleKey(name), swapped.before.value, now.version);
    throw new VersionError('version_removed', 'the version asked for was removed');
  }
  await markChanged(store);
  return { previous: swapped.before.entry.version };
}

/**
 * Removes a version: its snapshot becomes a tombstone (compare-and-swap), so a pinned request for
 * it is a 410, never another version's bytes. The current version is refused (roll back first);
 * a rollback racing it to this version wins: the snapshot is put back and this is refused too.
 */
export async function removeVersion(store: Store, name: string, version: string): Promise<Removed> {
  await ensureMigrated(store);
  const refuse = () =>
    new VersionError('version_current', 'the version named is the current one: roll back to another first');
  const swapped = await swapRecord<Removed | { target: Versioned; tombstone: Uint8Array; removed: string }>(
    store,
    versionKey(name, version),
    async (got) => {
      const current = currentOf(await store.getVersioned(moduleKey(name)), name);
      if (current.entry.version === version) throw refuse();
      const target = pinned(got, name, version);
      if (!('entry' in target.record)) return { result: target.record };
      const removed = new Date().toISOString();
      const tombstone = serializeTombstone(name, version, removed);
      return { write: tombstone, result: { target, tombstone, removed } };
    },
    `remove version ${version} of module ${name}`,
  );
  if (!('tombstone' in swapped)) return swapped;
  const now = currentOf(await store.getVersioned(moduleKey(name)), name);
  if (now.entry.version === version) {
    const mine = await store.getVersioned(versionKey(name, version));
    if (mine && sameBytes(mine.value, swapped.tombstone))
      await store.putIf(versionKey(name, version), swapped.target.value, mine.version);
    throw new VersionError('version_current', 'the version named became the current one meanwhile');
  }
  await markChanged(store);
  return { version, removed: swapped.removed };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
