import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test files that run alone, after the others. The Alertmanager end-to-end file (a real Alertmanager at
 * one-second timings) failed in 2 runs of 2 beside another file on two cores (once closing its world
 * passed the hook timeout), never alone, even at a load of 20.
 */
const ALONE = ['test/e2e/alertmanager.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each test file gets its own process: simulators bind ports and some tests spawn the CLI.
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...ALONE],
          // At least two files at a time (vitest's default is one on two cores): the files mostly wait on
          // child processes and loopback servers rather than compute (the whole suite used 176 s of CPU
          // in a 21-minute run), and each binds its own ports and temporary directories.
          maxWorkers: Math.max(2, availableParallelism() - 1),
        },
      },
      { extends: true, test: { name: 'alone', include: ALONE, maxWorkers: 1 } },
    ],
  },
});
