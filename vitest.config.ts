import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each test file gets its own process: simulators bind ports and some tests spawn the CLI.
    pool: 'forks',
    // At least two files at a time (vitest's default is one on two cores): the files mostly wait on child
    // processes, loopback servers and a real Alertmanager rather than compute (the whole suite used
    // 176 s of CPU in a 21-minute run), and each binds its own ports and temporary directories.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
