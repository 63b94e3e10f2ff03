/**
 * The short form of `npm run soak`: 20 connections for 5 s against the Node entry in a child
 * process. Asserts that nothing failed; timings and memory are reported, not asserted (they
 * depend on the machine).
 */
import { expect, it } from 'vitest';
import { soak } from './soak/soak.js';

it('serves 20 connections for 5 s on loopback with zero errors, zero non-2xx and zero wrong answers', async () => {
  const r = await soak({ connections: 20, duration: 5, warmup: 1 });
  console.log(
    `soak (short): ${r.requests} requests, p50 ${r.p50} ms, p99 ${r.p99} ms, RSS ${r.rssWarmKb} → ${r.rssEndKb} kB`,
  );
  // That the load ran, not how much of it a loaded machine gets through: throughput is reported
  // above, not asserted. Every request that did complete was checked (variant and digest).
  expect(r.requests).toBeGreaterThan(0);
  expect(r.non2xx).toBe(0);
  expect(r.timeouts).toBe(0);
  expect(r.wrong).toBe(0);
  expect(r.errors).toBe(0);
  expect(r.serverErrors).toEqual([]);
}, 40_000);
