import { defineConfig } from 'vitest/config';

/** The chaos suite (`npm run test:chaos`): kill -9 scenarios against `lambdata serve`, one file at a time. */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
