import { Reader } from './reader.js';

/**
 * How much a decoder may read per input byte. Every read consumes input and every loop of the
 * decoder reads, so a decoder that never goes back makes at most about 2 calls per byte on every
 * input measured; one that loops on hostile counts or re-reads makes far more. 8 leaves room for
 * how reads are split up.
 */
export const READS_PER_BYTE = 8;

/**
 * Runs `run` counting calls of Reader methods: the decoder's unit of work, counted rather than
 * timed (a loaded machine cannot fail a count, and a slow decoder cannot pass it). Past `budget`
 * the count throws a plain Error (not an InspectError), so a loop that keeps reading fails the test
 * instead of hanging it.
 */
export function countReads<T>(budget: number, run: () => T): { value: T; calls: number } {
  const proto = Reader.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = Object.getOwnPropertyNames(proto)
    .filter(
      (n) => n !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, n)?.value === 'function',
    )
    .map((n) => [n, proto[n]!] as const);
  let calls = 0;
  for (const [n, original] of originals)
    proto[n] = function (this: Reader, ...args: unknown[]) {
      if (++calls > budget) throw new Error(`inspect made over ${budget} reads`);
      return original.apply(this, args);
    };
  try {
    return { value: run(), calls };
  } finally {
    for (const [n, original] of originals) proto[n] = original;
  }
}
