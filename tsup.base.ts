import { defineConfig, type Options } from 'tsup';

/**
 * The one build every package shares: ESM + CJS + `.d.ts` for Node 22+, with source maps. A package with several
 * entries that share modules splits them into shared chunks in both formats, so each shared module (a class whose
 * identity matters) exists once per format, not once per entry.
 */
export function packageBuild(entry: string[] = ['src/index.ts']): ReturnType<typeof defineConfig> {
  const options: Options = {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node22',
    ...(entry.length > 1 ? { splitting: true } : {}),
  };
  return defineConfig(options);
}
