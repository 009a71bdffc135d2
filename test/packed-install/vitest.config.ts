import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:packed` (CI runs it after `npm test`): the packages as a user installs them. Not part of `npm test`,
 * because it rebuilds every package's dist/ in place and needs the npm registry. `global-setup.ts` packs once; each
 * `*.e2e.ts` installs the tarballs into its own project (the files run in parallel).
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.e2e.ts'],
    globalSetup: ['./global-setup.ts'],
    // The suites mostly wait on npm and child processes: run both files at once even on a two-core machine.
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
});
