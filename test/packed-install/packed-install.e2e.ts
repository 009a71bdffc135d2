/**
 * The packages as a user gets them (`npm run test:packed`; CI runs it after `npm test`). `scripts/pack.mjs`
 * (`npm run pack`) builds and packs every package; plain npm installs all the tarballs at once into a project under
 * the OS temp folder, outside the workspace; that project then imports them (ESM), requires them (CommonJS), runs the
 * `agentgate-dev` bin and type-checks against them with `tsc --strict` (module nodenext). What it runs is in
 * `fixtures/`.
 *
 * Needs the npm registry for the packages' third-party dependencies (npm's cache is preferred when it has them).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../support/redis-server';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('fixtures/', import.meta.url));
const tscCli = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
const packages = ['approval', 'core', 'dev-server', 'fga', 'fga-local', 'identity', 'redis', 'token-vault'];

/** The environment minus the `npm_*` variables pnpm and npm set for scripts: npm would read them as its config. */
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to the end; a failure is returned (with its output), not thrown, so assertions can show it. */
async function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      cwd,
      env: cleanEnv(),
      timeout: timeoutMs,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as {
      code?: unknown;
      signal?: string;
      stdout?: string;
      stderr?: string;
      message: string;
    };
    const killed = failure.signal ? `\n(killed by ${failure.signal}; the limit is ${timeoutMs} ms)` : '';
    return {
      code: typeof failure.code === 'number' ? failure.code : 1,
      stdout: failure.stdout ?? '',
      stderr: (failure.stderr || failure.message) + killed,
    };
  }
}

function expectSuccess(outcome: Outcome, what: string): void {
  if (outcome.code !== 0) {
    throw new Error(
      `${what} failed (exit ${outcome.code})\n--- stdout\n${outcome.stdout}\n--- stderr\n${outcome.stderr}`,
    );
  }
}

/** `ok <package>: …` lines the smoke calls print, one per package; the test wants every one. */
function expectEveryPackageSmoked(outcome: Outcome, what: string): void {
  expectSuccess(outcome, what);
  for (const name of packages)
    expect(outcome.stdout, `${what}: ${name}`).toMatch(new RegExp(`^ok ${name}: `, 'm'));
}

describe('the packed tarballs, installed with npm in a project outside the workspace', () => {
  let project: string;
  let install: Outcome;
  let redisServer: RedisServer | undefined;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    process.env.AGENTGATE_SMOKE_REDIS_URL = redisServer.url;
    project = await mkdtemp(join(tmpdir(), 'agentgate-packed-'));
    const tarballs = join(project, 'tarballs');
    expectSuccess(
      await run(process.execPath, [join(root, 'scripts/pack.mjs'), '--out', tarballs], root, 240_000),
      'node scripts/pack.mjs',
    );

    const manifest = { name: 'agentgate-consumer', private: true, type: 'module' };
    await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const file of ['smoke-calls.cjs', 'smoke.mjs', 'smoke.cjs']) {
      await copyFile(join(fixtures, file), join(project, file));
    }
    // One source, both module systems: .ts is ESM here ("type": "module"), .cts is CommonJS.
    await copyFile(join(fixtures, 'consumer.mts'), join(project, 'consumer.ts'));
    await copyFile(join(fixtures, 'consumer.mts'), join(project, 'consumer.cts'));
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2023',
        types: ['node'],
        skipLibCheck: false,
      },
      files: ['consumer.ts', 'consumer.cts'],
    };
    await writeFile(join(project, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);

    // What a user adds next to AgentGate: a schema library and Node's types (typescript is the workspace's).
    const workspaceManifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const coreManifest = JSON.parse(await readFile(join(root, 'packages/core/package.json'), 'utf8'));
    const redisManifest = JSON.parse(await readFile(join(root, 'packages/redis/package.json'), 'utf8'));
    const tarballFiles = (await readdir(tarballs)).map((name) => join(tarballs, name));
    install = await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        ...tarballFiles,
        `zod@${coreManifest.devDependencies.zod}`,
        `ioredis@${redisManifest.peerDependencies.ioredis}`,
        `@types/node@${workspaceManifest.devDependencies['@types/node']}`,
      ],
      project,
      240_000,
    );
    expectSuccess(install, 'npm install of the tarballs');
  }, 480_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
    await redisServer?.stop();
  });

  it('installs every package from its tarball without a warning about an AgentGate package', async () => {
    for (const name of packages) {
      const installed = JSON.parse(
        await readFile(join(project, 'node_modules/@agentgate', name, 'package.json'), 'utf8'),
      );
      expect(installed.name).toBe(`@agentgate/${name}`);
      expect(JSON.stringify(installed.dependencies ?? {})).not.toContain('workspace:');
    }
    expect(install.stderr).not.toMatch(/warn.*agentgate/i);
  });

  it('imports every package as ESM and makes a real call into each', async () => {
    expectEveryPackageSmoked(await run(process.execPath, ['smoke.mjs'], project, 60_000), 'node smoke.mjs');
  });

  it('requires every package from CommonJS and makes the same calls', async () => {
    expectEveryPackageSmoked(await run(process.execPath, ['smoke.cjs'], project, 60_000), 'node smoke.cjs');
  });

  it('runs the agentgate-dev bin npm linked', async () => {
    const help = await run('npm', ['exec', '--no', '--', 'agentgate-dev', '--help'], project, 60_000);
    expectSuccess(help, 'npm exec agentgate-dev --help');
    expect(help.stdout).toContain('usage: agentgate-dev');
  });

  it('type-checks a consumer with tsc --strict, module nodenext, as ESM (.ts) and CommonJS (.cts)', async () => {
    expectSuccess(
      await run(process.execPath, [tscCli, '-p', 'tsconfig.json'], project, 120_000),
      'tsc --strict',
    );
  });
});
