import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineProject } from 'vitest/config';

// Offline and quiet: no Cloudflare fetches, no metrics, wrangler's state kept in the project.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
process.env.WRANGLER_SEND_METRICS ??= 'false';
process.env.XDG_CONFIG_HOME ??= '.wrangler/config';

// Runs test/workers inside workerd with the bindings of wrangler.toml (R2 simulated locally, offline).
export default defineProject({
  plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
  test: {
    name: 'workers',
    include: ['test/workers/**/*.test.ts'],
  },
});
