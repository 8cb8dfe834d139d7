import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    // tests against live services are opt-in
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.int.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // 2-core machines: native modules and spawned CLIs make too many forks slower, not faster
    pool: 'forks',
    maxWorkers: 2,
  },
});
