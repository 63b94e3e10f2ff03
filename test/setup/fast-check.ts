/**
 * Replays a property test's failure: fast-check's report names the `seed` and `path` of the
 * failing run; set them here to run that case again, first, at once:
 *   WEFT_FC_SEED=<seed> WEFT_FC_PATH=<path> npx vitest run <file> -t '<test name>'
 */
import fc from 'fast-check';

const seed = process.env.WEFT_FC_SEED;
const path = process.env.WEFT_FC_PATH;

if (seed !== undefined && !Number.isInteger(Number(seed)))
  throw new Error(
    `WEFT_FC_SEED must be an integer (fast-check's report prints it), got ${JSON.stringify(seed)}`,
  );

fc.configureGlobal({
  ...(seed !== undefined ? { seed: Number(seed) } : {}),
  ...(path !== undefined ? { path } : {}),
  // The report shows the shrunk counterexample and the seed/path that replay it.
  verbose: 1,
});
