import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as npm installs it: built with its own tsup config (into a scratch folder, so the
 * package's dist/ is never touched), its package.json and bin/ beside it, at
 * `<scratch>/node_modules/@agentgate/dev-server`. Dependencies resolve from the package's own
 * node_modules, as they would from an installed copy.
 */
const run = promisify(execFile);
const packageDirectory = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
let scratch: string;
let installed: string;
let child: ChildProcess | undefined;

async function build(directory: string, outDirectory?: string) {
  const tsupManifest = require.resolve('tsup/package.json');
  const { bin } = JSON.parse(await readFile(tsupManifest, 'utf8')) as { bin: Record<string, string> };
  const tsup = join(dirname(tsupManifest), bin.tsup ?? '');
  await run(process.execPath, [tsup, '--no-dts', ...(outDirectory ? ['--out-dir', outDirectory] : [])], {
    cwd: directory,
  });
}

beforeAll(async () => {
  const cache = join(packageDirectory, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  scratch = await mkdtemp(join(cache, 'built-package-'));
  installed = join(scratch, 'node_modules', '@agentgate', 'dev-server');
  await mkdir(installed, { recursive: true });
  await build(packageDirectory, join(installed, 'dist'));
  await cp(join(packageDirectory, 'package.json'), join(installed, 'package.json'));
  await cp(join(packageDirectory, 'bin'), join(installed, 'bin'), { recursive: true });
  // The workspace dependency as installed too, built beside it (never in place: other suites and the pack step read
  // packages/fga-local/dist), with its own dependencies resolved from its workspace node_modules.
  const fgaLocal = join(packageDirectory, '..', 'fga-local');
  const installedFgaLocal = join(scratch, 'node_modules', '@agentgate', 'fga-local');
  await mkdir(installedFgaLocal, { recursive: true });
  await build(fgaLocal, join(installedFgaLocal, 'dist'));
  await cp(join(fgaLocal, 'package.json'), join(installedFgaLocal, 'package.json'));
  await symlink(join(fgaLocal, 'node_modules'), join(installedFgaLocal, 'node_modules'), 'dir');
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

const smokeCall = `
  const server = await startDevServer({ fga: false });
  const response = await fetch(server.url('/.well-known/openid-configuration'));
  const { issuer } = await response.json();
  await server.close();
  console.log(JSON.stringify({ status: response.status, same: issuer === server.issuer }));
`;

describe('@agentgate/dev-server as built', () => {
  it('works from CommonJS: require() gives a working startDevServer', async () => {
    const consumer = join(scratch, 'consumer.cjs');
    await writeFile(
      consumer,
      `const { startDevServer } = require('@agentgate/dev-server');\n(async () => {${smokeCall}})();\n`,
    );
    const { stdout } = await run(process.execPath, [consumer], { cwd: scratch });
    expect(JSON.parse(stdout)).toEqual({ status: 200, same: true });
  });

  it('works from ESM: import gives the same module', async () => {
    const consumer = join(scratch, 'consumer.mjs');
    await writeFile(consumer, `import { startDevServer } from '@agentgate/dev-server';\n${smokeCall}\n`);
    const { stdout } = await run(process.execPath, [consumer], { cwd: scratch });
    expect(JSON.parse(stdout)).toEqual({ status: 200, same: true });
  });

  it('runs the agentgate-dev bin, which stops on SIGTERM', async () => {
    const spawned = spawn(process.execPath, [join(installed, 'bin', 'agentgate-dev.js'), '--port', '0'], {
      cwd: scratch,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    const exited = new Promise<number | null>((resolve) => spawned.once('exit', resolve));
    const output = await new Promise<string>((resolve, reject) => {
      let printed = '';
      spawned.stdout?.on('data', (chunk) => {
        printed += String(chunk);
        if (printed.includes('one-time code:')) resolve(printed);
      });
      spawned.once('exit', (code) => reject(new Error(`agentgate-dev exited with ${code}`)));
    });
    const issuer = /issuer:\s+(\S+)/.exec(output)?.[1] ?? '';
    expect((await fetch(new URL('.well-known/openid-configuration', issuer))).status).toBe(200);
    spawned.kill('SIGTERM');
    await expect(exited).resolves.toBe(0);
  });

  it('the bin says how to build when dist/ is missing', async () => {
    const unbuilt = join(scratch, 'unbuilt');
    await cp(join(packageDirectory, 'bin'), join(unbuilt, 'bin'), { recursive: true });
    await writeFile(join(unbuilt, 'package.json'), JSON.stringify({ type: 'module' }));
    const failure = await run(process.execPath, [join(unbuilt, 'bin', 'agentgate-dev.js')]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({
      code: 1,
      stderr:
        'agentgate-dev: @agentgate/dev-server is not built (dist/cli.js is missing); ' +
        'run `pnpm --filter @agentgate/dev-server build` first\n',
    });
  });
});
