import { defineProject, type ViteUserConfig } from 'vitest/config';

/** Resolve workspace packages to their TypeScript sources, so tests never need a build first. */
export const sourceConditions = ['@agentgate/source', 'node', 'import', 'default'];

export function agentgateProject(name: string, overrides: ViteUserConfig['test'] = {}) {
  return defineProject({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@agentgate/source'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      ...overrides,
    },
  });
}
