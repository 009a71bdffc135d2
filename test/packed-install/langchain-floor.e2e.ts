/**
 * `@agentgate/langchain` on the oldest LangChain versions its peer ranges claim. A second project outside the
 * workspace installs the packed adapter (with the AgentGate packages it needs) and exactly the floors of
 * `packages/langchain/package.json`'s `peerDependencies` (`^1.3.4` → `1.3.4`), then runs `fixtures/langchain-floor.*`
 * as ES modules and as CommonJS: a `withAuth` tool, a denial as a tool message, and LangGraph interrupts resumed with
 * `Command({ resume })` in a `StateGraph` and in a `createAgent` agent with a `MemorySaver`.
 *
 * npm installs `langchain`'s own dependencies as its manifest asks: `langchain@1.2.34` depends on
 * `@langchain/langgraph@^1.1.2`, so its `createAgent` runs on a newer LangGraph nested under it, while the
 * `StateGraph` here is the floor's.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  agentGateClosure,
  expectSuccess,
  fixtures,
  npmInstall,
  type Outcome,
  readManifest,
  run,
  specFrom,
  tarballsOf,
} from './support/project';

const peers = ['@langchain/core', 'langchain', '@langchain/langgraph'];
const smokeLines = ['withAuth', 'denial', 'StateGraph', 'createAgent', 'agent denial'];

/** `^1.2.3` → `1.2.3`: the oldest version a caret range admits. Any other range form is refused. */
function floorOf(name: string, range: string | undefined): string {
  const floor = /^\^(\d+\.\d+\.\d+)$/.exec(range ?? '')?.[1];
  if (!floor) throw new Error(`@agentgate/langchain's peer range for ${name} is '${range}', not ^x.y.z`);
  return floor;
}

async function installedVersion(project: string, path: string): Promise<string | undefined> {
  try {
    return JSON.parse(await readFile(join(project, 'node_modules', path, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function expectEveryStep(outcome: Outcome, what: string): void {
  expectSuccess(outcome, what);
  for (const step of smokeLines)
    expect(outcome.stdout, `${what}: ${step}`).toMatch(new RegExp(`^ok ${step}: `, 'm'));
}

describe('@agentgate/langchain on the oldest LangChain versions its peers claim', () => {
  let project: string;
  let floors: Record<string, string>;

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'agentgate-langchain-floor-'));
    const manifest = { name: 'agentgate-langchain-floor', private: true, type: 'module' };
    await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const file of ['langchain-floor-calls.cjs', 'langchain-floor.mjs', 'langchain-floor.cjs']) {
      await copyFile(join(fixtures, file), join(project, file));
    }

    const [adapter, core] = await Promise.all(['langchain', 'core'].map(readManifest));
    floors = Object.fromEntries(
      peers.map((name) => [name, floorOf(name, adapter!.peerDependencies?.[name])]),
    );
    const agentgate = [...new Set([...(await agentGateClosure('langchain')), 'identity'])];
    const install = await npmInstall(project, [
      ...(await tarballsOf(inject('tarballs'), agentgate)),
      ...peers.map((name) => `${name}@${floors[name]}`),
      specFrom(core!, 'zod'),
    ]);
    // A peer conflict (ERESOLVE) would end here, with npm's explanation in the message.
    expectSuccess(install, `npm install of @agentgate/langchain with ${JSON.stringify(floors)}`);
  }, 600_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('installs exactly the floor of each peer range', async () => {
    expect(floors).toEqual({
      '@langchain/core': expect.stringMatching(/^1\./),
      langchain: expect.stringMatching(/^1\./),
      '@langchain/langgraph': expect.stringMatching(/^1\./),
    });
    for (const name of peers) expect(await installedVersion(project, name), name).toBe(floors[name]);
    // Only one @langchain/core, so every class the adapter checks against is the one the app uses.
    expect(await installedVersion(project, 'langchain/node_modules/@langchain/core')).toBeUndefined();
  });

  it('runs withAuth, a denial and LangGraph interrupt round trips as ES modules', async () => {
    expectEveryStep(
      await run(process.execPath, ['langchain-floor.mjs'], project, 120_000),
      'node langchain-floor.mjs',
    );
  });

  it('runs the same through the CommonJS builds', async () => {
    expectEveryStep(
      await run(process.execPath, ['langchain-floor.cjs'], project, 120_000),
      'node langchain-floor.cjs',
    );
  });
});
