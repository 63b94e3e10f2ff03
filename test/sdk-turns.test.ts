/**
 * A body already buffered (a fast network, a cache) reaches the compiler through `verifying` as a
 * chain of promise reactions that no task would interrupt: the page's own work (a glue's import,
 * the pthread workers it starts) waited for the last byte. The stream gives the event loop a turn
 * every few milliseconds instead. Here a body of 64 chunks, all enqueued before it is read, each
 * taking a millisecond to pass (the progress callback is slow), must let a timer queued before the
 * read run before its last chunk: through node:crypto's pulled stream, and through the WebCrypto
 * `TransformStream` browsers get (node:crypto hidden).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sriOfBytes } from '../src/contract/address.js';
import { IntegrityError, verifying } from '../src/sdk/verify.js';

const CHUNKS = 64;
const CHUNK = 16 * 1024;
const chunk = (k: number) => new Uint8Array(CHUNK).fill(k);
const whole = new Uint8Array(CHUNKS * CHUNK).map((_, i) => Math.floor(i / CHUNK));

/** Every chunk enqueued before anything reads: each read resolves at once. */
const buffered = () =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (let k = 0; k < CHUNKS; k++) c.enqueue(chunk(k));
      c.close();
    },
  });

/** Reads `verifying(buffered())` to its end; the number of chunks passed when a timer queued first ran. */
async function timerDuringRead(integrity: string): Promise<{ ranAt: number | undefined; passed: number }> {
  let passed = 0;
  let ranAt: number | undefined;
  setTimeout(() => {
    ranAt = passed;
  }, 0);
  const { stream } = verifying(buffered(), { integrity }, () => {
    passed++;
    const until = performance.now() + 1;
    while (performance.now() < until) {}
  });
  const reader = stream.getReader();
  while (!(await reader.read()).done) {}
  return { ranAt, passed };
}

describe('verifying a buffered body gives the event loop turns', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // Each arranges its shape and returns a check that the shape was the one used (WebCrypto or not).
  const shapes = {
    "node:crypto's pulled stream": () => {
      const digest = vi.spyOn(crypto.subtle, 'digest');
      return () => expect(digest).not.toHaveBeenCalled();
    },
    "WebCrypto's TransformStream (node:crypto hidden, as in a browser)": () => {
      vi.spyOn(process, 'getBuiltinModule').mockImplementation(() => undefined as never);
      const digest = vi.spyOn(crypto.subtle, 'digest');
      return () => expect(digest).toHaveBeenCalled();
    },
  };
  for (const [shape, arrange] of Object.entries(shapes)) {
    it(`${shape}: a timer queued before the read runs before its last chunk, and the bytes still verify`, async () => {
      const integrity = await sriOfBytes(whole);
      const used = arrange();
      const got = await timerDuringRead(integrity);
      used();
      expect(got.passed).toBe(CHUNKS);
      expect(got.ranAt).toBeDefined();
      expect(got.ranAt!).toBeLessThan(CHUNKS);
    });

    it(`${shape}: a wrong digest still errors the stream at its end`, async () => {
      const wrong = await sriOfBytes(whole.subarray(1));
      const used = arrange();
      await expect(timerDuringRead(wrong)).rejects.toBeInstanceOf(IntegrityError);
      used();
    });
  }
});
