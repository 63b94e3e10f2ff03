/**
 * `weft manifest NAME --server URL [--out FILE]`: a module's manifest pinned for an app to carry
 * (see src/profile/pinned.ts), asked of the server once, checked (src/registry/pinned.ts) and
 * written. `weft/plugin` pins the same way at build time.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { modulePath } from '../contract/paths.js';
import type { PinnedManifest } from '../profile/pinned.js';
import { checkPinned, pinAnswer } from '../registry/pinned.js';
import { ManifestError } from '../registry/schema.js';

/** A server that did not answer, or answered something other than a module's manifest. */
export class PinError extends Error {
  override name = 'PinError';
}

/** Asks `server` for module `name` and pins its answer; a PinError or ManifestError says why not. */
export async function fetchPinned(
  server: string,
  name: string,
  doFetch: typeof fetch = fetch,
): Promise<PinnedManifest> {
  const base = server.replace(/\/+$/, '');
  const url = `${base}${modulePath(name)}`;
  let res: Response;
  try {
    res = await doFetch(url, { headers: { accept: 'application/json' } });
  } catch (err) {
    throw new PinError(`${url} did not answer (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    throw new PinError(
      `${url} answered ${res.status}${body.error?.message ? ` (${body.error.message})` : ''}`,
    );
  }
  const answer = await res.json().catch(() => {
    throw new PinError(`${url} answered with something other than JSON`);
  });
  return pinAnswer(answer, name, base);
}

/** A pinned manifest file (`weft manifest --out`), checked as when it was written. */
export async function readPinned(file: string): Promise<PinnedManifest> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PinError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return checkPinned(value, file);
}

/** One stable spelling: the same answer pins to the same bytes (a build stays reproducible). */
export const pinnedText = (pinned: PinnedManifest): string => `${JSON.stringify(pinned, null, 2)}\n`;

export const MANIFEST_USAGE = `usage: weft manifest <module> --server URL [--out FILE]
  writes the module's manifest, pinned: every variant and bundle with its content-addressed URL and
  integrity, and the module's version. An app ships it (or imports it as 'weft:<module>' through
  weft/plugin) and load(pinned) chooses with no round trip to the server. Write it again after a publish.`;

/** The CLI command; returns the exit code (1: the server's answer could not be pinned). */
export async function manifestCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { server: { type: 'string' }, out: { type: 'string' } },
  });
  if (positionals.length !== 1 || !values.server) {
    console.error(MANIFEST_USAGE);
    return 2;
  }
  const name = positionals[0]!;
  try {
    const pinned = await fetchPinned(values.server, name);
    if (values.out) writeFileSync(values.out, pinnedText(pinned));
    else process.stdout.write(pinnedText(pinned));
    const say = values.out ? console.log : console.error;
    say(
      `${name} ${pinned.version}: ${pinned.variants.length} variant(s) (${pinned.variants.map((v) => v.name).join(', ')}) pinned${values.out ? ` in ${values.out}` : ''}`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof PinError || err instanceof ManifestError)) throw err;
    const what = err instanceof ManifestError ? "the server's answer cannot be pinned: " : '';
    console.error(`weft manifest: ${what}${err.message}`);
    return 1;
  }
}
