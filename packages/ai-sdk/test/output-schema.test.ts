import { createGate, createSession, memoryAudit } from '@agentgate/core';
import { requireScopes } from '@agentgate/identity';
import {
  asSchema,
  isStepCount,
  readUIMessageStream,
  streamText,
  tool,
  type UIMessage,
  validateUIMessages,
} from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAiSdkAuth, sessionToolsContext } from '../src/index';
import { scriptedModel } from './helpers';

const reader = createSession({ sub: 'alice', id: 'chat-alice', scopes: ['calendar:read'] });
const outsider = createSession({ sub: 'mallory', id: 'chat-mallory', scopes: [] });
const user: UIMessage = { id: 'u1', role: 'user', parts: [{ type: 'text', text: 'What is on today?' }] };

function calendar() {
  const auth = createAiSdkAuth({ gate: createGate({ audit: memoryAudit() }) });
  const listEventsTool = tool({
    inputSchema: z.object({ day: z.string() }),
    outputSchema: z.object({ events: z.array(z.string()) }),
    execute: async ({ day }) => ({ events: [`standup on ${day}`] }),
  });
  const listEvents = auth.withAuth(listEventsTool, { name: 'listEvents' }, requireScopes('calendar:read'));
  return { listEventsTool, tools: { listEvents } };
}

/** One chat request through `streamText`: the assistant's UI message, as the chat stores it. */
async function chat(tools: ReturnType<typeof calendar>['tools'], session = reader): Promise<UIMessage> {
  const result = streamText({
    model: scriptedModel([
      { toolCalls: [{ toolName: 'listEvents', input: { day: '2026-12-02' } }] },
      { text: 'Here you go.' },
    ]),
    tools,
    toolsContext: sessionToolsContext(tools, session),
    stopWhen: isStepCount(3),
    prompt: 'What is on today?',
  });
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream: result.toUIMessageStream() })) last = message;
  if (!last) throw new Error('no assistant message');
  return last;
}

describe('the output schema of a gated tool', () => {
  it('accepts a stored denial when the chat is validated again (validateUIMessages)', async () => {
    const { listEventsTool, tools } = calendar();
    const assistant = await chat(tools, outsider);
    const part = assistant.parts.find((candidate) => candidate.type === 'tool-listEvents');
    expect(part).toMatchObject({
      state: 'output-available',
      output: { agentgate: { kind: 'denied', code: 'INSUFFICIENT_SCOPE' } },
    });
    await expect(validateUIMessages({ messages: [user, assistant], tools })).resolves.toHaveLength(2);
    // The tool's own schema refuses it: what a gated tool that kept it would do.
    await expect(
      validateUIMessages({ messages: [user, assistant], tools: { listEvents: listEventsTool } }),
    ).rejects.toThrow();
  });

  it("still accepts the tool's own outputs and refuses anything else", async () => {
    const { tools } = calendar();
    const assistant = await chat(tools);
    expect(assistant.parts.find((candidate) => candidate.type === 'tool-listEvents')).toMatchObject({
      state: 'output-available',
      output: { events: ['standup on 2026-12-02'] },
    });
    await expect(validateUIMessages({ messages: [user, assistant], tools })).resolves.toHaveLength(2);

    const forged = (output: unknown): UIMessage => ({
      ...assistant,
      parts: assistant.parts.map((candidate) =>
        candidate.type === 'tool-listEvents' ? { ...candidate, output } : candidate,
      ) as UIMessage['parts'],
    });
    for (const output of [
      { events: 'not a list' },
      { agentgate: { kind: 'denied', code: 'NOT_A_CODE', message: 'x', details: {} } },
      { agentgate: { kind: 'interrupt', code: 'CONNECTION_REQUIRED', message: 'x', details: {} } },
    ]) {
      await expect(validateUIMessages({ messages: [user, forged(output)], tools })).rejects.toThrow();
    }
  });

  it('describes both shapes in its JSON Schema, and is absent when the tool declares none', async () => {
    const { tools } = calendar();
    const schema = await asSchema(tools.listEvents.outputSchema).jsonSchema;
    expect(schema.anyOf).toHaveLength(2);
    expect(schema.anyOf?.[0]).toMatchObject({ type: 'object', required: ['events'] });
    expect(schema.anyOf?.[1]).toMatchObject({ required: ['agentgate'] });

    const auth = createAiSdkAuth({ gate: createGate({ audit: memoryAudit() }) });
    const plain = auth.withAuth(
      tool({ inputSchema: z.object({}), execute: async () => 'ok' }),
      { name: 'plain' },
      requireScopes('calendar:read'),
    );
    expect(plain.outputSchema).toBeUndefined();
  });
});
