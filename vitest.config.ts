import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'functions/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for a condition (mostly a page catching up with the server): vitest's 1 s
    // default is a fixed deadline a loaded CI machine can miss; a poll still ends when it holds.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
