/**
 * Runs every benchmark module in this folder (each `*.ts` file but this one exports `run()`), one after
 * another, so `pnpm bench` measures them all. Benchmarks print their own tables; a module that throws
 * fails the run.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts' && !file.endsWith('.d.ts'))
  .sort();

let failed = false;
for (const file of modules) {
  const module = (await import(pathToFileURL(join(here, file)).href)) as { run?: () => Promise<void> | void };
  if (typeof module.run !== 'function') {
    console.error(`bench/${file} exports no run(); skipped`);
    continue;
  }
  console.log(`\n== bench/${file}`);
  const started = performance.now();
  try {
    await module.run();
    console.log(`== bench/${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failed = true;
    console.error(`== bench/${file} failed:`, error);
  }
}
if (failed) process.exitCode = 1;
