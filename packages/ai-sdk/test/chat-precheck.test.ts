import { createApprovals } from '@agentgate/approval';
import {
  type AgentSession,
  createGate,
  createSession,
  defineGuard,
  GateInterrupt,
  MemoryStore,
  memoryAudit,
} from '@agentgate/core';
import { createFgaAuthorizer } from '@agentgate/fga';
import { createLocalFga } from '@agentgate/fga-local';
import { requireScopes } from '@agentgate/identity';
import { generateText, isStepCount, type ModelMessage, tool } from 'ai';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { agentGateToolApproval, createAiSdkAuth, sessionToolsContext } from '../src/index';
import { scriptedModel } from './helpers';

const MODEL = `model
  schema 1.1
type user
type order
  relations
    define can_refund: [user]
`;

const engine = createLocalFga();
let storeId: string;
let modelId: string;

beforeAll(() => {
  storeId = engine.createStore({ name: 'ai-sdk-precheck' }).id;
  modelId = engine.writeAuthorizationModelFromDsl(storeId, MODEL).authorization_model_id;
  engine.write(storeId, { writes: [{ user: 'user:alice', relation: 'can_refund', object: 'order:1042' }] });
});

const scopes = ['refunds:write'];
const alice = createSession({ sub: 'alice', id: 'pre-alice', scopes });
const bob = createSession({ sub: 'bob', id: 'pre-bob', scopes });
const refundArgs = { orderId: '1042', amount: 240 };
type RefundArgs = typeof refundArgs;

/** A refund tool whose guards before the chat approval are a scope check, OpenFGA and a guard that counts its calls. */
function shop() {
  const audit = memoryAudit();
  const approvals = createApprovals({ store: new MemoryStore(), audit });
  const auth = createAiSdkAuth({ gate: createGate({ audit }), approvals });
  const fga = createFgaAuthorizer({ local: engine, storeId, authorizationModelId: modelId, audit });
  const executed = vi.fn(async (args: RefundArgs) => ({ refunded: args.orderId }));
  // A guard that acts when it checks (as a rate limit or a quota does): it must run once per call, never to ask.
  const charged = vi.fn();
  const quota = defineGuard({ name: 'quota', kind: 'limit', check: () => void charged() });
  const refund = auth.withAuth(
    tool({
      inputSchema: z.object({ orderId: z.string(), amount: z.number().positive() }),
      execute: executed,
    }),
    { name: 'refund', risk: 'high' },
    requireScopes('refunds:write'),
    fga.guard<RefundArgs>({ relation: 'can_refund', object: (args) => `order:${args.orderId}` }),
    quota,
    auth.approval<RefundArgs>({
      details: ({ args }) => [{ type: 'refund', ...args }],
      bindingMessage: ({ args }) => `Refund ${args.amount} on order ${args.orderId}`,
      background: 'in-app',
    }),
  );
  const tools = { refund };
  const model = scriptedModel([
    { toolCalls: [{ toolName: 'refund', input: refundArgs, toolCallId: 'call-refund' }] },
    { text: 'Done.' },
  ]);
  const turn = (messages: ModelMessage[], session: AgentSession) =>
    generateText({
      model,
      tools,
      toolsContext: sessionToolsContext(tools, session),
      toolApproval: agentGateToolApproval(),
      stopWhen: isStepCount(3),
      messages,
    });
  return { approvals, executed, charged, turn };
}

describe('agentGateToolApproval — the guards before the approval decide first', () => {
  it('does not ask a user OpenFGA refuses: the denial comes back, and no approval is created', async () => {
    const h = shop();
    const result = await h.turn([{ role: 'user', content: 'Refund order 1042' }], bob);
    expect(result.content.some((part) => part.type === 'tool-approval-request')).toBe(false);
    const output = result.content.find((part) => part.type === 'tool-result')?.output;
    expect(output).toMatchObject({
      agentgate: { kind: 'denied', code: 'FORBIDDEN', guard: 'fga(can_refund)' },
    });
    expect(h.executed).not.toHaveBeenCalled();
    await expect(h.approvals.list()).resolves.toEqual([]);
    expect(h.charged).not.toHaveBeenCalled(); // the gate stopped at OpenFGA
  });

  it('does not ask a user who lacks a scope the tool needs', async () => {
    const h = shop();
    const noScope = createSession({ sub: 'alice', id: 'pre-alice-2', scopes: [] });
    const result = await h.turn([{ role: 'user', content: 'Refund order 1042' }], noScope);
    expect(result.content.some((part) => part.type === 'tool-approval-request')).toBe(false);
    expect(result.content.find((part) => part.type === 'tool-result')?.output).toMatchObject({
      agentgate: { kind: 'denied', code: 'INSUFFICIENT_SCOPE' },
    });
    await expect(h.approvals.list()).resolves.toEqual([]);
  });

  it('does not ask before the user has connected the account the call needs', async () => {
    const approvals = createApprovals({ store: new MemoryStore(), audit: false });
    const auth = createAiSdkAuth({ gate: createGate({ audit: false }), approvals });
    const notConnected = defineGuard({
      name: 'vault(acme-pay)',
      kind: 'vault',
      check: () => {
        throw new GateInterrupt('CONNECTION_REQUIRED', 'connect Acme Pay first', {
          details: { connection: 'acme-pay', requiredScopes: ['payments.write'] },
        });
      },
    });
    const executed = vi.fn(async () => 'paid');
    const pay = auth.withAuth(
      tool({ inputSchema: z.object({ amount: z.number() }), execute: executed }),
      { name: 'pay', risk: 'high' },
      notConnected,
      auth.approval<{ amount: number }>({
        details: ({ args }) => [{ type: 'payment', amount: args.amount }],
        bindingMessage: ({ args }) => `Pay ${args.amount}`,
        background: 'in-app',
      }),
    );
    const tools = { pay };
    const result = await generateText({
      model: scriptedModel([{ toolCalls: [{ toolName: 'pay', input: { amount: 5 } }] }, { text: 'ok' }]),
      tools,
      toolsContext: sessionToolsContext(tools, alice),
      toolApproval: agentGateToolApproval(),
      stopWhen: isStepCount(2),
      prompt: 'pay 5',
    });
    expect(result.content.some((part) => part.type === 'tool-approval-request')).toBe(false);
    expect(result.steps[0]?.toolResults[0]?.output).toMatchObject({
      agentgate: { kind: 'interrupt', code: 'CONNECTION_REQUIRED', details: { connection: 'acme-pay' } },
    });
    expect(executed).not.toHaveBeenCalled();
    await expect(approvals.list()).resolves.toEqual([]);
  });

  it('asks a user the guards allow, runs guards that act only when the call runs, and runs the call once', async () => {
    const h = shop();
    const messages: ModelMessage[] = [{ role: 'user', content: 'Refund order 1042' }];
    const first = await h.turn(messages, alice);
    const request = first.content.find((part) => part.type === 'tool-approval-request');
    if (request?.type !== 'tool-approval-request') throw new Error('no approval request');
    expect(h.charged).not.toHaveBeenCalled();
    await expect(h.approvals.list({ sub: 'alice' })).resolves.toMatchObject([{ status: 'pending' }]);

    await h.turn(
      [
        ...messages,
        ...first.responseMessages,
        {
          role: 'tool',
          content: [{ type: 'tool-approval-response', approvalId: request.approvalId, approved: true }],
        },
      ],
      alice,
    );
    expect(h.executed).toHaveBeenCalledTimes(1);
    expect(h.charged).toHaveBeenCalledTimes(1);
  });
});
