import { createApprovals } from '@agentgate/approval';
import { createGate, createSession, defineGuard, MemoryStore, memoryAudit } from '@agentgate/core';
import { createFgaAuthorizer } from '@agentgate/fga';
import { requireScopes } from '@agentgate/identity';
import { ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { Command, MemorySaver } from '@langchain/langgraph';
import { createAgent } from 'langchain';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { agentGateMiddleware, readAgentGateToolMessage, SESSION_KEY, sessionConfig } from '../src/index';
import { type LocalFgaServer, startLocalFga } from './support/fga';
import { callTool, type InterruptValue, ScriptedChatModel } from './support/scripted-model';

const alice = createSession({ sub: 'alice', scopes: ['calendar:read'], id: 'run-alice' });
const bob = createSession({ sub: 'bob', scopes: [], id: 'run-bob' });

let fga: LocalFgaServer;
beforeAll(async () => {
  fga = await startLocalFga();
});
afterAll(async () => {
  await fga?.close();
});

function tools() {
  const bodies = {
    list_events: vi.fn(async ({ day }: { day: string }) => `events on ${day}`),
    delete_all: vi.fn(async () => 'everything deleted'),
    refund_order: vi.fn(async ({ orderId }: { orderId: string; amount: number }) => `refunded ${orderId}`),
    search_docs: vi.fn(async ({ query }: { query: string }) => `found ${query}`),
  };
  return {
    bodies,
    listEvents: tool(bodies.list_events, {
      name: 'list_events',
      description: 'Lists events',
      schema: z.object({ day: z.string() }),
    }),
    deleteAll: tool(bodies.delete_all, {
      name: 'delete_all',
      description: 'Deletes everything',
      schema: z.object({}),
    }),
    refund: tool(bodies.refund_order, {
      name: 'refund_order',
      description: 'Refunds an order',
      schema: z.object({ orderId: z.string(), amount: z.number().positive() }),
    }),
    searchDocs: tool(bodies.search_docs, {
      name: 'search_docs',
      description: 'Searches documents',
      schema: z.object({ query: z.string() }),
    }),
  };
}

describe('agentGateMiddleware', () => {
  it('protects tools that were never wrapped, and denies a tool it was not told about', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const { bodies, listEvents, deleteAll } = tools();
    const model = new ScriptedChatModel([
      callTool('list_events', { day: 'monday' }, 'call-1'),
      callTool('delete_all', {}, 'call-2'),
    ]);
    const agent = createAgent({
      model,
      tools: [listEvents, deleteAll],
      middleware: [
        agentGateMiddleware({ gate, tools: { list_events: { guards: [requireScopes('calendar:read')] } } }),
      ],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] }, sessionConfig(alice));
    const toolMessages = result.messages.filter((message) => ToolMessage.isInstance(message));
    expect(toolMessages[0]?.content).toBe('events on monday');
    expect(readAgentGateToolMessage(toolMessages[1])).toMatchObject({
      kind: 'denied',
      code: 'FORBIDDEN',
      message: expect.stringContaining('delete_all'),
    });
    expect(bodies.list_events).toHaveBeenCalledTimes(1);
    expect(bodies.delete_all).not.toHaveBeenCalled();
    // The model was never shown the unknown tool; the denial is on record.
    expect(model.turns.map((turn) => turn.tools)).toEqual([
      ['list_events'],
      ['list_events'],
      ['list_events'],
    ]);
    expect(audit.events).toContainEqual(
      expect.objectContaining({
        tool: 'delete_all',
        callId: 'call-2',
        outcome: 'deny',
        code: 'FORBIDDEN',
        sub: 'alice',
      }),
    );
    expect(result.messages.at(-1)?.content).toBe('done');
  });

  it('applies per-tool guards with the session from the agent context, and validates the arguments first', async () => {
    const gate = createGate({ audit: memoryAudit() });
    const { bodies, listEvents } = tools();
    const agent = createAgent({
      model: new ScriptedChatModel([
        callTool('list_events', { day: 42 }, 'bad-args'),
        callTool('list_events', { day: 'monday' }, 'no-scope'),
      ]),
      tools: [listEvents],
      middleware: [
        agentGateMiddleware({ gate, tools: { list_events: { guards: [requireScopes('calendar:read')] } } }),
      ],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] }, {
      context: { [SESSION_KEY]: bob },
    } as never);
    const [badArgs, noScope] = result.messages.filter((message) => ToolMessage.isInstance(message));
    expect(readAgentGateToolMessage(badArgs)).toMatchObject({ code: 'INVALID_ARGUMENTS' });
    expect(readAgentGateToolMessage(noScope)).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      details: { missing: ['calendar:read'] },
    });
    expect(bodies.list_events).not.toHaveBeenCalled();
  });

  it('checks the risk policy and the options at creation', () => {
    const gate = createGate({ audit: false });
    expect(() =>
      agentGateMiddleware({ gate, tools: { refund_order: { risk: 'high', guards: [] } } }),
    ).toThrow(/high risk.*approval/);
    expect(() => agentGateMiddleware({ gate, tools: { x: { guards: 'none' as never } } })).toThrow(/guards/);
    expect(() => agentGateMiddleware({ gate, tools: { x: { guards: [], level: 1 } as never } })).toThrow(
      /level/,
    );
    expect(() => agentGateMiddleware({ gate } as never)).toThrow(/tools/);
    expect(() => agentGateMiddleware({ gate, tools: {}, extra: true } as never)).toThrow(/extra/);
    expect(() =>
      agentGateMiddleware({ gate, tools: {}, authorizedTools: { fga: {} as never, relation: 'can_use' } }),
    ).toThrow(/fga/);
  });

  it('shows the model only the tools FGA authorizes for the user', async () => {
    const gate = createGate({ audit: memoryAudit() });
    const { listEvents, refund, searchDocs } = tools();
    const run = async (session: typeof alice) => {
      const model = new ScriptedChatModel([]);
      const agent = createAgent({
        model,
        tools: [listEvents, refund, searchDocs],
        middleware: [
          agentGateMiddleware({
            gate,
            tools: { list_events: { guards: [] }, refund_order: { guards: [] }, search_docs: { guards: [] } },
            authorizedTools: { fga: fga.authorizer(gate.audit), relation: 'can_use' },
          }),
        ],
      });
      await agent.invoke({ messages: [{ role: 'user', content: 'hi' }] }, sessionConfig(session));
      return model.turns[0]?.tools;
    };
    expect(await run(alice)).toEqual(['search_docs']);
    expect(await run(bob)).toEqual(['refund_order', 'search_docs']);
    expect(await run(createSession({ sub: 'carol' }))).toEqual([]);
  });

  it('refuses a call of a tool FGA hid from the model', async () => {
    const gate = createGate({ audit: memoryAudit() });
    const { bodies, listEvents, searchDocs } = tools();
    const model = new ScriptedChatModel([
      callTool('list_events', { day: 'monday' }, 'hidden'),
      callTool('search_docs', { query: 'refunds' }, 'shown'),
    ]);
    const agent = createAgent({
      model,
      tools: [listEvents, searchDocs],
      middleware: [
        agentGateMiddleware({
          gate,
          tools: { list_events: { guards: [] }, search_docs: { guards: [] } },
          authorizedTools: { fga: fga.authorizer(gate.audit), relation: 'can_use' },
        }),
      ],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] }, sessionConfig(alice));
    expect(model.turns[0]?.tools).toEqual(['search_docs']);
    const [hidden, shown] = result.messages.filter((message) => ToolMessage.isInstance(message));
    expect(readAgentGateToolMessage(hidden)).toMatchObject({ kind: 'denied', code: 'FORBIDDEN' });
    expect(shown?.content).toBe('found refunds');
    expect(bodies.list_events).not.toHaveBeenCalled();
    expect(bodies.search_docs).toHaveBeenCalledTimes(1);
  });

  it('runs the tool with the arguments the gate validated, not parsed a second time', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const seen: unknown[] = [];
    const body = vi.fn(async ({ cents }: { cents: number }) => `charged ${cents} cents`);
    const charge = tool(body, {
      name: 'charge',
      description: 'Charges an amount given in euros',
      schema: z.object({ euros: z.number() }).transform(({ euros }) => ({ cents: euros * 100 })),
    });
    const recordArgs = defineGuard({
      name: 'record',
      kind: 'policy',
      check: ({ args }) => void seen.push(args),
    });
    const agent = createAgent({
      model: new ScriptedChatModel([callTool('charge', { euros: 12 })]),
      tools: [charge],
      middleware: [agentGateMiddleware({ gate, tools: { charge: { guards: [recordArgs] } } })],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] }, sessionConfig(alice));
    expect(seen).toEqual([{ cents: 1200 }]);
    expect(body).toHaveBeenCalledTimes(1);
    expect(body.mock.calls[0]?.[0]).toEqual({ cents: 1200 });
    expect(result.messages.find((message) => ToolMessage.isInstance(message))?.content).toBe(
      'charged 1200 cents',
    );
  });

  it('runs a string tool with its validated input', async () => {
    const gate = createGate({ audit: memoryAudit() });
    const body = vi.fn(async (text: string) => `echo ${text}`);
    const echo = tool(body, { name: 'echo', description: 'Echoes', schema: z.string() });
    const agent = createAgent({
      model: new ScriptedChatModel([callTool('echo', { input: 'hello' })]),
      tools: [echo],
      middleware: [agentGateMiddleware({ gate, tools: { echo: { guards: [] } } })],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] }, sessionConfig(alice));
    expect(result.messages.find((message) => ToolMessage.isInstance(message))?.content).toBe('echo hello');
    expect(body).toHaveBeenCalledTimes(1);
  });

  it('shows no tools, and refuses calls, when FGA cannot answer (fail closed)', async () => {
    const gate = createGate({ audit: memoryAudit() });
    const { bodies, searchDocs } = tools();
    const model = new ScriptedChatModel([callTool('search_docs', { query: 'refunds' })]);
    const unreachable = createFgaAuthorizer({
      apiUrl: 'http://127.0.0.1:9',
      storeId: fga.storeId,
      retry: { maxRetry: 0, minWaitInMs: 1 },
      timeoutMs: 2000,
    });
    const agent = createAgent({
      model,
      tools: [searchDocs],
      middleware: [
        agentGateMiddleware({
          gate,
          tools: { search_docs: { guards: [] } },
          authorizedTools: { fga: unreachable, relation: 'can_use' },
        }),
      ],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'hi' }] }, sessionConfig(alice));
    expect(model.turns[0]?.tools).toEqual([]);
    expect(
      readAgentGateToolMessage(result.messages.find((message) => ToolMessage.isInstance(message))),
    ).toMatchObject({ kind: 'denied', code: 'GUARD_FAILED' });
    expect(bodies.search_docs).not.toHaveBeenCalled();
  });

  it('bridges LangChain’s human-in-the-loop response to the AgentGate in-app approval', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const approvals = createApprovals({ store: new MemoryStore(), audit });
    const { bodies, refund } = tools();
    const agent = createAgent({
      model: new ScriptedChatModel([callTool('refund_order', { orderId: '77', amount: 12 })]),
      tools: [refund],
      checkpointer: new MemorySaver(),
      middleware: [
        agentGateMiddleware({
          gate,
          approvals,
          tools: {
            refund_order: {
              risk: 'high',
              guards: [
                approvals.guard<{ orderId: string; amount: number }>({
                  channel: 'in-app',
                  mode: 'interrupt',
                  details: ({ args }) => [{ type: 'refund', orderId: args.orderId, amount: args.amount }],
                  bindingMessage: ({ args }) => `Refund ${args.amount} on order ${args.orderId}`,
                }),
              ],
            },
          },
        }),
      ],
    });
    const config = { configurable: { thread_id: 'hitl-1', [SESSION_KEY]: alice } };
    const paused = await agent.invoke({ messages: [{ role: 'user', content: 'refund 77' }] }, config);
    const interrupts = (paused as { __interrupt__?: { value: InterruptValue }[] }).__interrupt__ ?? [];
    expect(interrupts[0]?.value).toMatchObject({
      agentgate: {
        code: 'APPROVAL_PENDING',
        details: { channel: 'in-app', bindingMessage: 'Refund 12 on order 77' },
      },
      actionRequests: [
        { name: 'refund_order', args: { orderId: '77', amount: 12 }, description: 'Refund 12 on order 77' },
      ],
      reviewConfigs: [{ actionName: 'refund_order', allowedDecisions: ['approve', 'reject'] }],
    });
    const approvalId = interrupts[0]?.value.agentgate.details.approvalId as string;
    expect(bodies.refund_order).not.toHaveBeenCalled();

    const done = await agent.invoke(new Command({ resume: { decisions: [{ type: 'approve' }] } }), config);
    expect(done.messages.find((message) => ToolMessage.isInstance(message))?.content).toBe('refunded 77');
    expect(bodies.refund_order).toHaveBeenCalledTimes(1);
    await expect(approvals.get(approvalId)).resolves.toMatchObject({ status: 'consumed', sub: 'alice' });
    await approvals.close();
  });
});
