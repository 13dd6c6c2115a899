import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    setupFiles: ['test/setup/fast-check.ts'],
    testTimeout: 60_000,
    // Two cores: keep workers to two so CPU-heavy suites do not thrash.
    maxWorkers: 2,
  },
});
