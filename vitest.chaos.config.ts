import { defineConfig } from 'vitest/config';

// One seed for the whole run (every scenario file runs in its own process and reads it from the environment).
process.env.LAMBDATA_CHAOS_SEED ||= String(Math.floor(Math.random() * 2 ** 31));

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
