import { defineConfig } from 'vitest/config';

/** The pure core's own tests: fast, no I/O; what `npm run mutation` runs against each mutant. */
export default defineConfig({
  test: {
    include: ['test/core/**/*.test.ts'],
  },
});
