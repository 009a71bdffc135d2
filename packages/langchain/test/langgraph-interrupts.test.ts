import { type Approvals, createApprovals } from '@agentgate/approval';
import {
  type AgentSession,
  createGate,
  createSession,
  type Gate,
  type MemoryAuditSink,
  MemoryStore,
  memoryAudit,
  verifyAuditChain,
} from '@agentgate/core';
import { type DevServer, startDevServer } from '@agentgate/dev-server';
import { requireScopes } from '@agentgate/identity';
import { createTokenVault, getConnectionToken } from '@agentgate/token-vault';
import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { Command, MemorySaver } from '@langchain/langgraph';
import { createAgent } from 'langchain';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createLangChainAuth, readAgentGateToolMessage, SESSION_KEY } from '../src/index';
import { callTool, type InterruptValue, ScriptedChatModel } from './support/scripted-model';
import { loginSession, until } from './support/servers';

let server: DevServer;
let gate: Gate;
let audit: MemoryAuditSink;
let approvals: Approvals;

beforeAll(async () => {
  server = await startDevServer({ cibaIntervalSeconds: 1, fga: false });
  audit = memoryAudit();
  gate = createGate({ audit });
  const client = server.clients[0]!;
  approvals = createApprovals({
    store: new MemoryStore(),
    audit,
    ciba: {
      issuer: server.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      audience: server.apiAudience,
      allowInsecureRequests: true,
    },
  });
});
afterAll(async () => {
  await approvals?.close();
  await server?.close();
});

const refundSchema = z.object({
  orderId: z.string(),
  amount: z.number().positive(),
  currency: z.string().default('EUR'),
});
type RefundArgs = z.output<typeof refundSchema>;

function refundTool(body: (args: RefundArgs) => Promise<string>) {
  return tool(body, { name: 'refund_order', description: 'Refunds an order', schema: refundSchema });
}

/** The refund tool behind an approval of `channel` (high risk), bound to `body`. */
function approvedRefund(channel: 'ciba' | 'in-app', body: (args: RefundArgs) => Promise<string>) {
  const auth = createLangChainAuth({ gate, approvals });
  return auth.withAuth(
    refundTool(body),
    { risk: 'high' },
    approvals.guard<RefundArgs>({
      channel,
      mode: 'interrupt',
      details: ({ args }) => [
        { type: 'refund', orderId: args.orderId, amount: args.amount, currency: args.currency },
      ],
      bindingMessage: ({ args }) => `Refund ${args.amount} on order ${args.orderId}`,
    }),
  );
}

function runConfig(thread: string, session: AgentSession) {
  return { configurable: { thread_id: thread, [SESSION_KEY]: session } };
}

/** The interrupts a paused run is waiting on (LangGraph's own state). */
async function pendingInterrupts(
  agent: { getState(config: unknown): Promise<{ tasks: { interrupts: { value: unknown }[] }[] }> },
  config: unknown,
) {
  const state = await agent.getState(config);
  return state.tasks.flatMap((task) => task.interrupts.map((entry) => entry.value as InterruptValue));
}

describe('LangGraph interrupts (createAgent with a MemorySaver)', () => {
  it('interrupts to connect an account, and the resumed call runs with the provider token', async () => {
    const session = await loginSession(server, 'alice@acme', 'openid offline_access calendar:read');
    const client = server.clients[0]!;
    const vault = createTokenVault({
      issuer: server.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      dialect: 'auth0',
      allowInsecureRequests: true,
      connectUrl: ({ connection }) => server.url(`/connections/${connection}/connect`),
    });
    const auth = createLangChainAuth({ gate, approvals });
    const listEvents = auth.withAuth(
      tool(
        async () => {
          const response = await fetch(`${server.connections.apiUrl('acme-calendar')}/events`, {
            headers: { authorization: `Bearer ${getConnectionToken('acme-calendar')}` },
          });
          return JSON.stringify(await response.json());
        },
        { name: 'list_events', description: 'Lists events', schema: z.object({}) },
      ),
      requireScopes('calendar:read'),
      vault.guard({ connection: 'acme-calendar', scopes: ['events.read'] }),
    );
    const agent = createAgent({
      model: new ScriptedChatModel([callTool('list_events', {})]),
      tools: [listEvents],
      checkpointer: new MemorySaver(),
    });
    const config = runConfig('connect-1', session);

    const paused = await agent.invoke({ messages: [{ role: 'user', content: 'my events?' }] }, config);
    expect(paused.messages.some((message) => ToolMessage.isInstance(message))).toBe(false);
    const [value] = await pendingInterrupts(agent, config);
    expect(value).toMatchObject({
      agentgate: {
        kind: 'interrupt',
        code: 'CONNECTION_REQUIRED',
        details: {
          connection: 'acme-calendar',
          connectUrl: server.url('/connections/acme-calendar/connect'),
        },
      },
    });

    // Resuming before the user connected asks again (same interrupt, nothing ran).
    await agent.invoke(new Command({ resume: { retry: true } }), config);
    expect((await pendingInterrupts(agent, config))[0]).toMatchObject({
      agentgate: { code: 'CONNECTION_REQUIRED' },
    });

    await server.connections.connect('alice@acme', 'acme-calendar', { scopes: ['events.read'] });
    const done = await agent.invoke(new Command({ resume: { retry: true } }), config);
    const result = done.messages.find((message) => ToolMessage.isInstance(message));
    expect(JSON.parse(String(result?.content))).toEqual({ user: 'alice', items: [] });
    expect(await pendingInterrupts(agent, config)).toEqual([]);
    expect(done.messages.at(-1)?.content).toBe('done');
    expect(verifyAuditChain(audit.events).valid).toBe(true);
  });

  it('interrupts for a CIBA approval, and resuming after the user approved on the device runs the same request once', async () => {
    const session = createSession({ sub: 'alice', iss: server.issuer, tenant: 'acme', id: 'run-ciba' });
    const body = vi.fn(async ({ orderId, amount }: RefundArgs) => `refunded ${amount} on ${orderId}`);
    const refund = approvedRefund('ciba', body);
    const agent = createAgent({
      model: new ScriptedChatModel([callTool('refund_order', { orderId: '1042', amount: 240 })]),
      tools: [refund],
      checkpointer: new MemorySaver(),
    });
    const config = runConfig('ciba-1', session);

    await agent.invoke({ messages: [{ role: 'user', content: 'refund 1042' }] }, config);
    const [value] = await pendingInterrupts(agent, config);
    expect(value).toMatchObject({
      agentgate: {
        code: 'APPROVAL_PENDING',
        details: {
          channel: 'ciba',
          bindingMessage: 'Refund 240 on order 1042',
          authorizationDetails: [{ type: 'refund', orderId: '1042', amount: 240, currency: 'EUR' }],
        },
      },
    });
    const approvalId = value?.agentgate.details.approvalId as string;
    expect(body).not.toHaveBeenCalled();

    // The user approves on their device; the record settles; the resumed call finds the same request.
    const request = await server.approvals.waitFor({ sub: 'alice', status: 'pending', timeoutMs: 10_000 });
    expect(request.bindingMessage).toBe('Refund 240 on order 1042');
    await server.approvals.approve(request.id);
    await until(
      async () => (await approvals.get(approvalId))?.status === 'approved',
      'the CIBA approval settling',
    );
    const done = await agent.invoke(new Command({ resume: { retry: true } }), config);
    expect(done.messages.find((message) => ToolMessage.isInstance(message))?.content).toBe(
      'refunded 240 on 1042',
    );
    expect(body).toHaveBeenCalledTimes(1);
    await expect(approvals.get(approvalId)).resolves.toMatchObject({ status: 'consumed' });
    expect(await approvals.list({ sub: 'alice', channel: 'ciba' })).toHaveLength(1);
  });

  it('decides an in-app approval from the resume value, for the run’s user', async () => {
    const session = createSession({ sub: 'bob', iss: server.issuer, tenant: 'acme', id: 'run-in-app' });
    const body = vi.fn(async ({ orderId, amount }: RefundArgs) => `refunded ${amount} on ${orderId}`);
    const refund = approvedRefund('in-app', body);
    const model = new ScriptedChatModel([
      callTool('refund_order', { orderId: '7', amount: 30 }, 'call-a'),
      callTool('refund_order', { orderId: '8', amount: 40 }, 'call-b'),
    ]);
    const agent = createAgent({ model, tools: [refund], checkpointer: new MemorySaver() });
    const config = runConfig('in-app-1', session);

    await agent.invoke({ messages: [{ role: 'user', content: 'refund 7 and 8' }] }, config);
    const [first] = await pendingInterrupts(agent, config);
    // LangChain's own human-in-the-loop request rides along, for a LangChain UI.
    expect(first).toMatchObject({
      agentgate: { code: 'APPROVAL_PENDING', details: { channel: 'in-app' } },
      actionRequests: [
        { name: 'refund_order', args: { orderId: '7', amount: 30 }, description: 'Refund 30 on order 7' },
      ],
      reviewConfigs: [{ actionName: 'refund_order', allowedDecisions: ['approve', 'reject'] }],
    });
    const firstId = first?.agentgate.details.approvalId as string;

    // Approved with LangChain's HITL response: the AgentGate record is approved, and the call runs once.
    await agent.invoke(new Command({ resume: { decisions: [{ type: 'approve' }] } }), config);
    await expect(approvals.get(firstId)).resolves.toMatchObject({ status: 'consumed' });
    expect(body).toHaveBeenCalledTimes(1);

    // The model's next call is a new approval; denied, it ends as a tool message the model reads.
    const [second] = await pendingInterrupts(agent, config);
    const secondId = second?.agentgate.details.approvalId as string;
    expect(secondId).not.toBe(firstId);
    const done = await agent.invoke(new Command({ resume: { decision: 'denied' } }), config);
    await expect(approvals.get(secondId)).resolves.toMatchObject({ status: 'denied' });
    const toolMessages = done.messages.filter((message) => ToolMessage.isInstance(message));
    expect(toolMessages.map((message) => message.content)).toContain('refunded 30 on 7');
    expect(readAgentGateToolMessage(toolMessages.at(-1))).toMatchObject({ code: 'APPROVAL_DENIED' });
    expect(body).toHaveBeenCalledTimes(1);
    expect(done.messages.at(-1)?.content).toBe('done');
  });

  it('decides parallel calls each by its own answer when resumed by interrupt id', async () => {
    const session = createSession({ sub: 'bob', iss: server.issuer, tenant: 'acme', id: 'run-parallel' });
    const body = vi.fn(async ({ orderId, amount }: RefundArgs) => `refunded ${amount} on ${orderId}`);
    const both = new AIMessage({
      content: '',
      tool_calls: [
        { id: 'call-p1', name: 'refund_order', args: { orderId: 'p1', amount: 10 }, type: 'tool_call' },
        { id: 'call-p2', name: 'refund_order', args: { orderId: 'p2', amount: 20 }, type: 'tool_call' },
      ],
    });
    const agent = createAgent({
      model: new ScriptedChatModel([both]),
      tools: [approvedRefund('in-app', body)],
      checkpointer: new MemorySaver(),
    });
    const config = runConfig('parallel-1', session);
    const paused = await agent.invoke({ messages: [{ role: 'user', content: 'refund p1 and p2' }] }, config);
    const pauses =
      (paused as { __interrupt__?: { id: string; value: InterruptValue }[] }).__interrupt__ ?? [];
    expect(pauses).toHaveLength(2);
    const byOrder = (orderId: string) =>
      pauses.find(
        (pause) => (pause.value.actionRequests as { args: RefundArgs }[])[0]?.args.orderId === orderId,
      );
    const [p1, p2] = [byOrder('p1'), byOrder('p2')];
    const done = await agent.invoke(
      new Command({
        resume: { [p1?.id as string]: { approve: true }, [p2?.id as string]: { approve: false } },
      }),
      config,
    );
    expect(body).toHaveBeenCalledTimes(1);
    expect(body.mock.calls[0]?.[0]).toMatchObject({ orderId: 'p1', amount: 10 });
    await expect(approvals.get(p1?.value.agentgate.details.approvalId as string)).resolves.toMatchObject({
      status: 'consumed',
    });
    await expect(approvals.get(p2?.value.agentgate.details.approvalId as string)).resolves.toMatchObject({
      status: 'denied',
    });
    const toolMessages = done.messages.filter((message) => ToolMessage.isInstance(message));
    expect(toolMessages.map((message) => message.tool_call_id).sort()).toEqual(['call-p1', 'call-p2']);
  });

  it('does not let another user’s resume decide the approval', async () => {
    const bob = createSession({ sub: 'bob', iss: server.issuer, tenant: 'acme', id: 'run-bob' });
    const carol = createSession({ sub: 'carol', iss: server.issuer, tenant: 'globex', id: 'run-bob' });
    const body = vi.fn(async () => 'refunded');
    const refund = approvedRefund('in-app', body);
    const agent = createAgent({
      model: new ScriptedChatModel([callTool('refund_order', { orderId: '9', amount: 50 })]),
      tools: [refund],
      checkpointer: new MemorySaver(),
    });
    await agent.invoke({ messages: [{ role: 'user', content: 'refund 9' }] }, runConfig('foreign-1', bob));
    const [value] = await pendingInterrupts(agent, runConfig('foreign-1', bob));
    const id = value?.agentgate.details.approvalId as string;
    // The resume comes with carol's session: it cannot decide bob's approval. The call now acts for carol, whose
    // own approval no one has seen yet: the answer is not applied to it, and the run interrupts again to show it.
    await agent.invoke(new Command({ resume: { approve: true } }), runConfig('foreign-1', carol));
    await expect(approvals.get(id)).resolves.toMatchObject({ status: 'pending', sub: 'bob' });
    expect(body).not.toHaveBeenCalled();
    const [again] = await pendingInterrupts(agent, runConfig('foreign-1', carol));
    expect(again?.agentgate.details.approvalId).not.toBe(id);
    await expect(approvals.get(again?.agentgate.details.approvalId as string)).resolves.toMatchObject({
      status: 'pending',
      sub: 'carol',
    });
    // An answer naming another approval than the one shown decides nothing either; nor does the replayed first one.
    await agent.invoke(
      new Command({ resume: { approve: true, approvalId: id } }),
      runConfig('foreign-1', carol),
    );
    expect(body).not.toHaveBeenCalled();
    // Carol rejects what she was shown: denied, the model is told, nothing ran.
    const done = await agent.invoke(
      new Command({ resume: { decisions: [{ type: 'reject' }] } }),
      runConfig('foreign-1', carol),
    );
    expect(body).not.toHaveBeenCalled();
    expect(
      readAgentGateToolMessage(done.messages.find((entry) => ToolMessage.isInstance(entry))),
    ).toMatchObject({
      code: 'APPROVAL_DENIED',
    });
    await expect(approvals.get(id)).resolves.toMatchObject({ status: 'pending', sub: 'bob' });
  });
});
