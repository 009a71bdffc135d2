/**
 * Runs every benchmark module in this folder (each `*.ts` file but this one exports `run()`), one after
 * another, so `npm run bench` measures them all; `npm run bench -- core-gate limits` runs just those. Benchmarks
 * print their own tables; a module that throws fails the run.
 *
 * They measure the packages as they ship: `npm run bench` builds them first and this runs against their `dist`
 * (TypeScript sources run through a dev transform that wraps every function it creates, which skews what a call
 * costs).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2).map((name) => name.replace(/\.ts$/, ''));
const modules = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts' && !file.endsWith('.d.ts'))
  .filter((file) => only.length === 0 || only.includes(file.slice(0, -'.ts'.length)))
  .sort();
if (modules.length === 0) {
  console.error(`no benchmark named ${only.join(', ')} in bench/`);
  process.exit(2);
}

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
