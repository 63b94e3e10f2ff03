/**
 * Content-addressed uploads: the files of a build sent one by one before a commit publishes them
 * (commit.ts). An upload is checked against the hash it is sent under before it is written, and is
 * written in one store `put` (atomic in every driver), so a file is either whole under its content
 * key or absent: an interrupted upload leaves nothing a later publish could take for whole. An
 * uploaded file no record names is never served (bundle files are served through their bundle's
 * record only). Pure over the Store interface.
 */

import { addressOfHex, hexOf, sha256, toHex } from '../contract/address.js';
import { blobKey, fileKey } from './records.js';
import { type Store, StoreError } from './store.js';

/** Most hashes one `missing` question may ask about (a bundle holds at most 2000 files). */
export const MAX_ASKED = 10_000;

/** A request the client got wrong (not the store's fault): an HTTP 400 with `code`. */
export class UploadError extends Error {
  constructor(
    readonly code: 'bad_commit' | 'hash_mismatch' | 'size_mismatch' | 'missing_files',
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/**
 * Whether the store holds a file, by listing its exact key (no driver reads the bytes for that).
 * A committed wasm lives as a blob, every other file under `files/`: either one will do.
 */
async function holds(store: Store, hex: string): Promise<boolean> {
  for (const key of [fileKey(hex), blobKey(addressOfHex(hex))])
    if ((await store.list(key)).includes(key)) return true;
  return false;
}

/** The hashes (`sha256-<hex>`, each checked) of those files the store lacks, in the order asked. */
export async function missingFiles(store: Store, hashes: readonly string[]): Promise<string[]> {
  const unique = [...new Set(hashes)];
  const missing: string[] = [];
  for (const hash of unique) if (!(await holds(store, hexOf(hash)))) missing.push(hash);
  return missing;
}

/**
 * Stores an uploaded file under its content key once its bytes hash to `hash`; a mismatch writes
 * nothing. Returns false when the file was there already (a retry, or another publisher's): the
 * bytes are not written again.
 */
export async function storeUpload(store: Store, hash: string, bytes: Uint8Array): Promise<boolean> {
  const hex = toHex(await sha256(bytes));
  if (addressOfHex(hex) !== hash)
    throw new UploadError(
      'hash_mismatch',
      'the body does not hash to the sha256 in the URL: nothing was stored',
    );
  if (await holds(store, hex)) return false;
  await store.put(fileKey(hex), bytes);
  return true;
}

/**
 * The bytes of an uploaded (or earlier published) file, checked against its hash; null when the
 * store holds neither its bundle-file copy nor its blob. `blobOnly` says it was found as a blob only
 * (a wasm published before), so a bundle that serves it from `files/` must write it there.
 */
export async function readFile(
  store: Store,
  hex: string,
): Promise<{ bytes: Uint8Array; blobOnly: boolean } | null> {
  let bytes = await store.get(fileKey(hex));
  const blobOnly = bytes === null;
  bytes ??= await store.get(blobKey(addressOfHex(hex)));
  if (bytes === null) return null;
  // Written only after this very check: a failure here is the store's (a lying or damaged store), a 503.
  if (toHex(await sha256(bytes)) !== hex)
    throw new StoreError(`stored file ${addressOfHex(hex)} fails its hash`);
  return { bytes, blobOnly };
}
