/**
 * `weft publish <dir> --store DIR`: every build of the folder published into a folder store, saying
 * on stderr what it is doing, as `--server` does: a 30 MB build takes seconds to inspect, store and
 * compress, and a command silent that long looks hung. Always printed, a few terse lines per publish
 * (not a TTY-only spinner): stderr is not the output, so pipes and `--json` stay clean, and a CI log
 * shows where the time went. `--json` prints a summary on stdout.
 */
import { resolve } from 'node:path';
import type { Encoders } from '../registry/copies.js';
import { publishSet } from '../registry/publish.js';
import { fsStore } from '../registry/stores/fs.js';
import type { FolderPlan } from './description.js';
import { nodeEncoders } from './encoders.js';
import { filesOf, kib, type Published } from './remote-publish.js';

export interface StoreOptions {
  /** Print a machine-readable summary on stdout instead of returning the result for the CLI to print. */
  json?: boolean;
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
  /** The compressors of the served copies (default: Node's brotli and gzip). */
  encoders?: Encoders;
}

interface Copy {
  variant: string;
  encoding: string;
  size: number;
}

const seconds = (from: number) => `${((performance.now() - from) / 1000).toFixed(1)} s`;

/** Publishes a plan into the folder store `dir`; a number is the exit code (`--json` printed). */
export async function publishStore(
  dir: string,
  plan: FolderPlan,
  options: StoreOptions = {},
): Promise<Published | number> {
  const log = options.log ?? ((line: string) => console.error(line));
  const started = performance.now();
  const root = resolve(dir);
  const files = plan.variants.flatMap(filesOf);
  const distinct = new Map(files.map((f) => [f.hash, f.size]));
  const total = [...distinct.values()].reduce((n, s) => n + s, 0);
  log(
    `weft publish: ${plan.module}: ${plan.variants.length} build(s), ${files.length} file(s) (${distinct.size} distinct, ${kib(total)}): inspecting and storing in ${root}`,
  );
  for (const v of plan.variants) {
    const own = files.filter((f) => f.variant === v.variant);
    log(`  ${v.variant}: ${own.map((f) => `${f.path} ${kib(f.size)}`).join(', ')}`);
  }

  // Each build's wasm is compressed once after the commit: the step that takes the time on a big build.
  const names = new Map(plan.variants.map((v) => [v.bytes, v.variant]));
  const copies: Copy[] = [];
  const encoders = Object.fromEntries(
    Object.entries(options.encoders ?? nodeEncoders).map(([encoding, encode]) => [
      encoding,
      async (bytes: Uint8Array) => {
        const from = performance.now();
        const packed = await encode(bytes);
        const variant = names.get(bytes) ?? '(a build)';
        log(
          `  compress ${variant}: ${encoding} ${kib(bytes.length)} -> ${kib(packed.length)} (${seconds(from)})`,
        );
        if (packed.length < bytes.length) copies.push({ variant, encoding, size: packed.length });
        return packed;
      },
    ]),
  ) as Encoders;

  let pending: Promise<void> = Promise.resolve();
  const result = await publishSet(fsStore({ dir }), plan, encoders, (copying) => {
    pending = copying;
  });
  const version = result.entry.version;
  log(
    `weft publish: ${plan.module} ${version} committed (${seconds(started)}); compressing the copies it lacks`,
  );
  await pending;
  const packed = copies.reduce((n, c) => n + c.size, 0);
  log(
    `weft publish: ${plan.module} ${version} stored in ${root}: ${distinct.size} file(s) (${kib(total)}), ${copies.length ? `${copies.length} compressed copies made (${kib(packed)})` : 'no compressed copy to make'} in ${seconds(started)}`,
  );

  const ordering = { ...result.ordering, variants: result.ordering.variants.map((v) => v.name) };
  if (options.json) {
    console.log(
      JSON.stringify({
        store: root,
        module: plan.module,
        version,
        variants: result.published.map((p) => p.variant),
        order: ordering,
        files: { total: files.length, distinct: distinct.size },
        bytes: { total, copies: packed },
        copies,
      }),
    );
    return 0;
  }
  return { published: result.published, ordering };
}
