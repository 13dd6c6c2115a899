import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    setupFiles: ['test/setup/fast-check.ts'],
    // A guard against hangs, not a speed test: on a slow stretch of a shared 2-core host the suite
    // ran 2.4× slower than usual, and a test that trains twice through the CLI (8 s alone) took
    // 76 s next to the other worker.
    testTimeout: 120_000,
    // Two cores: keep workers to two so CPU-heavy suites do not thrash.
    maxWorkers: 2,
  },
});
