import { createGate, createSession, memoryAudit, runWithSession } from '@agentgate/core';
import { createFgaAuthorizer } from '@agentgate/fga';
import { createLocalFga } from '@agentgate/fga-local';
import { generateText, tool } from 'ai';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { activeToolsFor, createAiSdkAuth, sessionToolsContext } from '../src/index';
import { offeredTools, scriptedModel } from './helpers';

const MODEL = `model
  schema 1.1
type user
type group
  relations
    define member: [user]
type tool
  relations
    define can_use: [user, group#member]
`;

const engine = createLocalFga();
let storeId: string;
let modelId: string;

beforeAll(() => {
  storeId = engine.createStore({ name: 'ai-sdk-tools' }).id;
  modelId = engine.writeAuthorizationModelFromDsl(storeId, MODEL).authorization_model_id;
  engine.write(storeId, {
    writes: [
      { user: 'user:alice', relation: 'member', object: 'group:support' },
      { user: 'group:support#member', relation: 'can_use', object: 'tool:lookupOrder' },
      { user: 'user:alice', relation: 'can_use', object: 'tool:refund' },
      { user: 'user:bob', relation: 'can_use', object: 'tool:lookupOrder' },
    ],
  });
});

const alice = createSession({ sub: 'alice', id: 'trim-alice' });
const bob = createSession({ sub: 'bob', id: 'trim-bob' });

function toolSet() {
  const auth = createAiSdkAuth({ gate: createGate({ audit: false }) });
  const plain = (name: string) =>
    auth.withAuth(tool({ description: name, inputSchema: z.object({}), execute: async () => name }), {
      name,
    });
  return {
    lookupOrder: plain('lookupOrder'),
    refund: plain('refund'),
    deleteAccount: plain('deleteAccount'),
  };
}

describe('activeToolsFor', () => {
  it('offers the model only the tools the user may use, step by step through prepareStep', async () => {
    const fga = createFgaAuthorizer({
      local: engine,
      storeId,
      authorizationModelId: modelId,
      audit: memoryAudit(),
    });
    const tools = toolSet();
    for (const [session, expected] of [
      [alice, ['lookupOrder', 'refund']],
      [bob, ['lookupOrder']],
    ] as const) {
      const model = scriptedModel([{ text: 'hello' }]);
      await generateText({
        model,
        tools,
        toolsContext: sessionToolsContext(tools, session),
        prepareStep: async () => ({ activeTools: await activeToolsFor({ fga, tools, session }) }),
        prompt: 'hi',
      });
      expect(offeredTools(model)).toEqual([expected]);
    }
  });

  it('reads the session of runWithSession, and a custom relation and object', async () => {
    const fga = createFgaAuthorizer({ local: engine, storeId, authorizationModelId: modelId });
    const tools = toolSet();
    const names = await runWithSession(alice, () =>
      activeToolsFor({
        fga,
        tools,
        relation: 'member',
        object: (name) => (name === 'refund' ? 'group:support' : `tool:${name}`),
      }),
    );
    expect(names).toEqual(['refund']);
  });

  it('fails closed: no session, or an FGA that cannot answer, offers no tool', async () => {
    const tools = toolSet();
    const fga = createFgaAuthorizer({ local: engine, storeId, authorizationModelId: modelId });
    await expect(activeToolsFor({ fga, tools })).resolves.toEqual([]);
    // A value that is no session offers nothing either, even with a session in scope.
    const { roles: _roles, ...withoutRoles } = alice;
    for (const session of [null, withoutRoles]) {
      await expect(
        runWithSession(alice, () => activeToolsFor({ fga, tools, session: session as never })),
      ).resolves.toEqual([]);
    }
    const broken = createFgaAuthorizer({
      local: engine,
      storeId: '01JUNKNOWNSTORE000000000000',
      audit: memoryAudit(),
    });
    await expect(activeToolsFor({ fga: broken, tools, session: alice })).resolves.toEqual([]);
    await expect(activeToolsFor({ fga, tools, session: alice, relations: 'x' } as never)).rejects.toThrow(
      TypeError,
    );
  });
});
