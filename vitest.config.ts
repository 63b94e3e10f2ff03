import { defineConfig } from 'vitest/config';

// `npm test` runs every project: `node` (pure code, the Node server, and the real-engine
// harnesses: Chromium, extra Node builds) and `workers` (worker.ts inside workerd).
// .ci/run sets WEFT_TEST_REPORT to read the totals from vitest's JSON report.
const report = process.env.WEFT_TEST_REPORT;

export default defineConfig({
  test: {
    reporters: report ? ['default', 'json'] : ['default'],
    outputFile: report ? { json: report } : {},
    projects: [
      {
        test: {
          name: 'node',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/workers/**', '**/node_modules/**'],
          // Property tests print seed and path on failure; WEFT_FC_SEED/WEFT_FC_PATH replay them.
          setupFiles: ['test/setup/fast-check.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      './vitest.workers.config.ts',
    ],
  },
});
