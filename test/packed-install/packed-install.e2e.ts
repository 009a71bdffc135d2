/**
 * The packages as a user gets them (`npm run test:packed`; CI runs it after `npm test`). `scripts/pack.mjs`
 * (`npm run pack`, run once by `global-setup.ts`) builds and packs every package; plain npm installs all the tarballs
 * at once, with the frameworks the adapters plug into (LangChain, the AI SDK, the MCP SDK, OpenTelemetry, at the versions the workspace tests),
 * into a project under the OS temp folder, outside the workspace; that project then imports them (ESM), requires them
 * (CommonJS), runs the `agentgate-dev` bin and type-checks against them with `tsc --strict` (module nodenext). What
 * it runs is in `fixtures/`.
 *
 * Needs the npm registry for the packages' third-party dependencies (npm's cache is preferred when it has them).
 */
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../support/redis-server';
import {
  expectSuccess,
  fixtures,
  npmInstall,
  type Outcome,
  readManifest,
  root,
  run,
  specFrom,
} from './support/project';

const tscCli = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
/** The packages the smoke scripts call into, each printing `ok <package>: …`. */
const packages = [
  'ai-sdk',
  'approval',
  'core',
  'dev-server',
  'fga',
  'fga-local',
  'identity',
  'langchain',
  'limits',
  'mcp',
  'otel',
  'redis',
  'token-vault',
];

/** `ok <package>: …` lines the smoke calls print, one per package; the test wants every one. */
function expectEveryPackageSmoked(outcome: Outcome, what: string): void {
  expectSuccess(outcome, what);
  for (const name of packages)
    expect(outcome.stdout, `${what}: ${name}`).toMatch(new RegExp(`^ok ${name}: `, 'm'));
}

describe('the packed tarballs, installed with npm in a project outside the workspace', () => {
  let project: string;
  let install: Outcome;
  let tarballNames: string[];
  let redisServer: RedisServer | undefined;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    process.env.AGENTGATE_SMOKE_REDIS_URL = redisServer.url;
    project = await mkdtemp(join(tmpdir(), 'agentgate-packed-'));

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

    // What a user adds next to AgentGate: a schema library, the frameworks the adapters plug into (at the versions
    // the workspace tests them with) and Node's types (typescript is the workspace's).
    const tarballs = inject('tarballs');
    const tarballFiles = (await readdir(tarballs))
      .filter((name) => /^agentgate-.*\.tgz$/.test(name))
      .map((name) => join(tarballs, name));
    tarballNames = tarballFiles.map((file) => file.replace(/^.*agentgate-(.*)-\d+\.\d+\.\d+.*\.tgz$/, '$1'));
    const [workspace, core, redis, langchain, aiSdk, otel, mcp] = await Promise.all(
      ['.', 'core', 'redis', 'langchain', 'ai-sdk', 'otel', 'mcp'].map(readManifest),
    );
    install = await npmInstall(project, [
      ...tarballFiles,
      specFrom(core!, 'zod'),
      specFrom(redis!, 'ioredis'),
      specFrom(langchain!, '@langchain/core'),
      specFrom(langchain!, 'langchain'),
      specFrom(langchain!, '@langchain/langgraph'),
      specFrom(aiSdk!, 'ai'),
      specFrom(mcp!, '@modelcontextprotocol/sdk'),
      specFrom(otel!, '@opentelemetry/api'),
      // The SDK an app registers; the smoke exports the spans of one call to memory with it.
      specFrom(otel!, '@opentelemetry/sdk-trace-base'),
      specFrom(workspace!, '@types/node'),
    ]);
    expectSuccess(install, 'npm install of the tarballs');
  }, 600_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
    await redisServer?.stop();
  });

  it('installs every package from its tarball without a warning about an AgentGate package', async () => {
    expect(tarballNames).toEqual(expect.arrayContaining(packages));
    for (const name of tarballNames) {
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

  it('requires every package from CommonJS (their require builds) and makes the same calls', async () => {
    const smoke = await run(process.execPath, ['smoke.cjs'], project, 60_000);
    expectEveryPackageSmoked(smoke, 'node smoke.cjs');
    // Each entry resolves to its `require` build; an ESM-only package (dev-server) to the build require() loads.
    const resolved = [...smoke.stdout.matchAll(/^resolved @agentgate\/(\S+): (.*)$/gm)];
    expect(resolved.map(([, name]) => name)).toEqual(expect.arrayContaining([...packages, 'ai-sdk/client']));
    for (const [, name = '', path] of resolved) {
      const [dir = '', ...subpath] = name.split('/');
      const installed = JSON.parse(
        await readFile(join(project, 'node_modules/@agentgate', dir, 'package.json'), 'utf8'),
      );
      const entry = installed.exports[subpath.length === 0 ? '.' : `./${subpath.join('/')}`];
      const expected: string = entry.require?.default ?? entry.default;
      expect(path, name).toBe(join(project, 'node_modules/@agentgate', dir, expected));
    }
  });

  it('runs the agentgate-dev bin npm linked', async () => {
    const help = await run('npm', ['exec', '--no', '--', 'agentgate-dev', '--help'], project, 60_000);
    expectSuccess(help, 'npm exec agentgate-dev --help');
    expect(help.stdout).toContain('usage: agentgate-dev');
  });

  it('type-checks a consumer with tsc --strict, module nodenext, as ESM (.ts) and CommonJS (.cts)', async () => {
    expectSuccess(
      await run(process.execPath, [tscCli, '-p', 'tsconfig.json'], project, 540_000),
      'tsc --strict',
    );
  }, 600_000);
});
