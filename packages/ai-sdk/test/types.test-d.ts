import type { AgentSession, Gate } from '@agentgate/core';
import { generateText, type InferToolOutput, type LanguageModel, tool } from 'ai';
import { expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import {
  type AgentGateToolResult,
  agentGateToolApproval,
  createAiSdkAuth,
  isAgentGateResult,
  recordChatDenials,
  sessionToolsContext,
} from '../src/index';

declare const gate: Gate;
declare const session: AgentSession;
declare const model: LanguageModel;
const auth = createAiSdkAuth({ gate });

const plain = auth.withAuth(
  tool({ inputSchema: z.object({ day: z.string() }), execute: async ({ day }) => [day] }),
  { name: 'plain' },
);
const typed = auth.withAuth(
  tool({
    inputSchema: z.object({ city: z.string() }),
    contextSchema: z.object({ unit: z.enum(['celsius', 'fahrenheit']) }),
    execute: async ({ city }, { context }) => `${city} ${context.unit}`,
  }),
  { name: 'typed' },
);

test('a gated tool keeps its input and may return a decision instead of its output', () => {
  expectTypeOf<InferToolOutput<typeof plain>>().toEqualTypeOf<string[] | AgentGateToolResult>();
  const output: unknown = undefined;
  if (isAgentGateResult(output) && output.agentgate.code === 'CONNECTION_REQUIRED') {
    expectTypeOf(output.agentgate.details.connection).toEqualTypeOf<string>();
  }
});

test('toolsContext is optional for tools without context, and typed for tools with one', async () => {
  await generateText({ model, tools: { plain }, prompt: 'x' });
  await generateText({
    model,
    tools: { plain },
    toolsContext: sessionToolsContext({ plain }, session),
    prompt: 'x',
  });
  await generateText({
    model,
    tools: { typed },
    toolsContext: sessionToolsContext({ typed }, session, { typed: { unit: 'celsius' } }),
    toolApproval: agentGateToolApproval(),
    prompt: 'x',
  });
  await generateText({
    model,
    tools: { typed },
    // @ts-expect-error the typed tool's own context is missing
    toolsContext: sessionToolsContext({ typed }, session),
    prompt: 'x',
  });
});

test('withAuth needs the name of the tool', () => {
  // @ts-expect-error no { name }
  auth.withAuth(tool({ inputSchema: z.object({}), execute: async () => 1 }));
});

test('a tool with an output schema keeps its output type, or a decision', async () => {
  const described = auth.withAuth(
    tool({
      inputSchema: z.object({}),
      outputSchema: z.object({ events: z.array(z.string()) }),
      execute: async () => ({ events: ['standup'] }),
    }),
    { name: 'described' },
  );
  expectTypeOf<InferToolOutput<typeof described>>().toEqualTypeOf<
    { events: string[] } | AgentGateToolResult
  >();
  await generateText({ model, tools: { described }, onStart: recordChatDenials, prompt: 'x' });
});
