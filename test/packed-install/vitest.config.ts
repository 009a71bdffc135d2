import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:packed` (CI runs it after `npm test`): the packages as a user installs them. Not part of `npm test`,
 * because it rebuilds every package's dist/ in place and needs the npm registry.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.e2e.ts'],
    testTimeout: 120_000,
    hookTimeout: 480_000,
  },
});
