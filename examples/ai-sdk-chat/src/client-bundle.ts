/**
 * Bundles the page's script (`client/chat.ts` and the AI SDK's chat client it uses) with esbuild, once at start.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export async function bundleClient(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./client/chat.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    conditions: ['@agentgate/source'],
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('esbuild produced no client script');
  return output.text;
}
