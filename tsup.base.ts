import { defineConfig, type Options } from 'tsup';

/** The one build every package shares: ESM + CJS + `.d.ts` for Node 22+, with source maps. */
export function packageBuild(entry: string[] = ['src/index.ts']): ReturnType<typeof defineConfig> {
  const options: Options = {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node22',
  };
  return defineConfig(options);
}
