import { createGate } from '@agentgate/core';
import type { ToolMessage } from '@langchain/core/messages';
import { type DynamicStructuredTool, DynamicTool, tool } from '@langchain/core/tools';
import { createAgent } from 'langchain';
import { expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import { agentGateMiddleware, createLangChainAuth } from '../src/index';

const auth = createLangChainAuth({ gate: createGate({ audit: false }) });
const schema = z.object({ day: z.string() });
const listEvents = tool(async ({ day }) => `events on ${day}`, {
  name: 'list_events',
  description: 'd',
  schema,
});

test('withAuth keeps the tool type: schema, name and output', () => {
  const wrapped = auth.withAuth(listEvents);
  expectTypeOf(wrapped).toEqualTypeOf<typeof listEvents>();
  expectTypeOf(wrapped.name).toEqualTypeOf<'list_events'>();
  expectTypeOf(auth.withAuth()(listEvents)).toEqualTypeOf<typeof listEvents>();
  expectTypeOf(
    auth.withAuth(new DynamicTool({ name: 'x', description: 'd', func: async () => 'x' })),
  ).toEqualTypeOf<DynamicTool<string>>();
  expectTypeOf(wrapped.invoke({ day: 'x' })).resolves.toEqualTypeOf<string>();
  expectTypeOf(
    wrapped.invoke({ id: '1', name: 'list_events', args: { day: 'x' }, type: 'tool_call' }),
  ).resolves.toEqualTypeOf<ToolMessage>();
  // @ts-expect-error the schema's input is still required
  void wrapped.invoke({});
});

test('the protected tools and the middleware plug into createAgent', () => {
  const wrapped: DynamicStructuredTool<typeof schema> = auth.withAuth(listEvents);
  createAgent({
    model: 'openai:gpt-4o-mini',
    tools: [wrapped],
    middleware: [
      agentGateMiddleware({ gate: createGate({ audit: false }), tools: { list_events: { guards: [] } } }),
    ],
  });
});
