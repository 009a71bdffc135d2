import { createApprovals } from '@agentgate/approval';
import { createGate, createSession, MemoryStore, memoryAudit } from '@agentgate/core';
import { generateText, isStepCount, type ModelMessage, tool } from 'ai';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { agentGateToolApproval, createAiSdkAuth, recordChatDenials, sessionToolsContext } from '../src/index';
import { type ScriptedTurn, scriptedModel } from './helpers';

const alice = createSession({ sub: 'alice', iss: 'https://id.example/', tenant: 'acme', id: 'chat-alice' });
const refundArgs = { orderId: '1042', amount: 240 };

function shop(turns: readonly ScriptedTurn[]) {
  const audit = memoryAudit();
  const gate = createGate({ audit });
  const approvals = createApprovals({ store: new MemoryStore(), audit });
  const auth = createAiSdkAuth({ gate, approvals });
  const executed = vi.fn(async (args: { orderId: string; amount: number }) => ({ refunded: args.orderId }));
  const refund = auth.withAuth(
    tool({
      description: 'Refund an order',
      inputSchema: z.object({ orderId: z.string(), amount: z.number().positive() }),
      execute: executed,
    }),
    { name: 'refund', risk: 'high' },
    auth.approval<{ orderId: string; amount: number }>({
      details: ({ args }) => [{ type: 'refund', orderId: args.orderId, amount: args.amount }],
      bindingMessage: ({ args }) => `Refund ${args.amount} on order ${args.orderId}`,
      background: 'in-app',
    }),
  );
  const tools = { refund };
  const model = scriptedModel(turns);
  const turn = (messages: ModelMessage[]) =>
    generateText({
      model,
      tools,
      toolsContext: sessionToolsContext(tools, alice),
      toolApproval: agentGateToolApproval(),
      onStart: recordChatDenials,
      stopWhen: isStepCount(4),
      messages,
    });
  return { approvals, executed, turn };
}

const call = (toolCallId: string): ScriptedTurn => ({
  toolCalls: [{ toolName: 'refund', input: refundArgs, toolCallId }],
});

function answer(messages: ModelMessage[], approvalId: string, approved: boolean): ModelMessage[] {
  return [...messages, { role: 'tool', content: [{ type: 'tool-approval-response', approvalId, approved }] }];
}

describe('a chat answer decides only the approval requested for its own tool call', () => {
  it('a replayed old "no" does not deny the fresh approval request made after it', async () => {
    // Turn 1 asks (call-1); the "no" is recorded; the model calls again (call-2) and a fresh approval is asked for.
    const h = shop([call('call-1'), call('call-2'), { text: 'ok' }]);
    const messages: ModelMessage[] = [{ role: 'user', content: 'Refund order 1042' }];
    const first = await h.turn(messages);
    const request = first.content.find((part) => part.type === 'tool-approval-request');
    if (request?.type !== 'tool-approval-request') throw new Error('no approval request');
    messages.push(...first.responseMessages);
    const oldNo = answer(messages, request.approvalId, false);
    await h.turn(oldNo);
    expect((await h.approvals.list({ sub: 'alice' })).map((view) => view.status)).toEqual([
      'denied',
      'pending',
    ]);

    // The client sends the old history again (a retry, a second tab, a replay): its "no" answered call-1 only.
    await h.turn(oldNo);
    expect(h.executed).not.toHaveBeenCalled();
    // The fresh request (asked for call-2, never answered) must still be pending.
    expect((await h.approvals.list({ sub: 'alice' })).map((view) => view.status)).toEqual([
      'denied',
      'pending',
    ]);
  });

  it('a replayed old "yes" never runs the call a second time', async () => {
    const h = shop([call('call-1'), call('call-2'), { text: 'ok' }, { text: 'ok' }]);
    const messages: ModelMessage[] = [{ role: 'user', content: 'Refund order 1042' }];
    const first = await h.turn(messages);
    const request = first.content.find((part) => part.type === 'tool-approval-request');
    if (request?.type !== 'tool-approval-request') throw new Error('no approval request');
    messages.push(...first.responseMessages);
    const oldYes = answer(messages, request.approvalId, true);
    await h.turn(oldYes); // call-1 runs once; the same refund called again (call-2) is refused as a replay
    expect(h.executed).toHaveBeenCalledTimes(1);
    // The old history sent again: its "yes" answered call-1, which ran and consumed its approval.
    await h.turn(oldYes);
    expect(h.executed).toHaveBeenCalledTimes(1);
    expect((await h.approvals.list({ sub: 'alice' })).map((view) => [view.callId, view.status])).toEqual([
      ['call-1', 'consumed'],
    ]);
  });
});
