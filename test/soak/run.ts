/**
 * `npm run soak [-- --connections 200 --duration 60 --warmup 10 --p99 250]`: the bounded soak
 * against the Node server on loopback. Prints the figures and exits 1 if a target is missed: zero
 * errors (connection errors, timeouts, non-2xx, wrong variant or digest, server error lines), RSS
 * growth after warm-up under 10%, p99 latency under `--p99` ms.
 */
import { parseArgs } from 'node:util';
import { soak } from './soak.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '200' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    p99: { type: 'string', default: '500' },
  },
});
const number = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`soak: --${name} must be a positive number`);
    process.exit(2);
  }
  return n;
};
const options = {
  connections: number('connections'),
  duration: number('duration'),
  warmup: number('warmup'),
};
const p99Max = number('p99');

console.log(
  `soak: ${options.connections} connections, ${options.warmup} s warm-up then ${options.duration} s measured, on loopback`,
);
const r = await soak(options);
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;
console.log(`requests      ${r.requests} (${Math.round(r.requests / r.duration)}/s)`);
console.log(
  `errors        ${r.errors} (timeouts ${r.timeouts}, non-2xx ${r.non2xx}, wrong answers ${r.wrong}, server error lines ${r.serverErrors.length})`,
);
console.log(`latency       p50 ${r.p50} ms, p99 ${r.p99} ms`);
console.log(
  `server RSS    ${mb(r.rssWarmKb)} after warm-up, ${mb(r.rssEndKb)} at the end (peak ${mb(r.rssPeakKb)}), growth ${(r.rssGrowth * 100).toFixed(1)}%`,
);

const missed = [
  r.errors > 0 && `${r.errors} errors`,
  r.serverErrors.length > 0 && `the server logged: ${r.serverErrors.slice(0, 3).join(' | ')}`,
  r.rssGrowth >= 0.1 && `RSS grew ${(r.rssGrowth * 100).toFixed(1)}% after warm-up (target < 10%)`,
  r.p99 > p99Max && `p99 ${r.p99} ms over ${p99Max} ms`,
].filter(Boolean);
if (missed.length) {
  console.error(`soak: FAILED: ${missed.join('; ')}`);
  process.exit(1);
}
console.log('soak: all targets met');
