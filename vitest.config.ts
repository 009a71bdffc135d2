import { defineConfig } from 'vitest/config';

/** One vitest run over every package and the cross-package suites; `pnpm --filter <pkg> test` runs one. */
export default defineConfig({
  test: {
    projects: ['packages/*', 'test'],
  },
});
