import { createApprovals } from '@agentgate/approval';
import {
  createGate,
  createSession,
  defineGuard,
  GateInterrupt,
  MemoryStore,
  memoryAudit,
} from '@agentgate/core';
import { requireFreshAuth } from '@agentgate/identity';
import { ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { Command, MemorySaver } from '@langchain/langgraph';
import { createAgent } from 'langchain';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createLangChainAuth, readAgentGateToolMessage, SESSION_KEY, sessionConfig } from '../src/index';
import { callTool, type InterruptValue, ScriptedChatModel } from './support/scripted-model';

const now = () => Math.floor(Date.now() / 1000);

function transferTool(body: (args: { amount: number }) => Promise<string>) {
  return tool(body, {
    name: 'transfer',
    description: 'Transfers money',
    schema: z.object({ amount: z.number() }),
  });
}

describe('interrupt modes', () => {
  it('asks for a step-up in LangGraph, and the resumed run acts with the new session', async () => {
    const body = vi.fn(async ({ amount }: { amount: number }) => `sent ${amount}`);
    const auth = createLangChainAuth({ gate: createGate({ audit: memoryAudit() }) });
    const transfer = auth.withAuth(transferTool(body), requireFreshAuth({ maxAgeSeconds: 300 }));
    const agent = createAgent({
      model: new ScriptedChatModel([callTool('transfer', { amount: 10 })]),
      tools: [transfer],
      checkpointer: new MemorySaver(),
    });
    const stale = createSession({ sub: 'alice', id: 'run-1', authTime: now() - 3600 });
    const paused = await agent.invoke(
      { messages: [{ role: 'user', content: 'send 10' }] },
      { configurable: { thread_id: 'step-up', [SESSION_KEY]: stale } },
    );
    const interrupts = (paused as { __interrupt__?: { value: InterruptValue }[] }).__interrupt__ ?? [];
    expect(interrupts[0]?.value.agentgate).toMatchObject({
      code: 'STEP_UP_REQUIRED',
      details: { authorizationParams: { max_age: '300' } },
    });
    expect(body).not.toHaveBeenCalled();
    // The user signed in again: the app resumes with the fresh session.
    const fresh = createSession({ sub: 'alice', id: 'run-1', authTime: now() });
    const done = await agent.invoke(new Command({ resume: { retry: true } }), {
      configurable: { thread_id: 'step-up', [SESSION_KEY]: fresh },
    });
    expect(done.messages.find((message) => ToolMessage.isInstance(message))?.content).toBe('sent 10');
    expect(body).toHaveBeenCalledTimes(1);
  });

  it("returns the interrupt as a tool message with interrupts: 'tool-message', even in LangGraph", async () => {
    const body = vi.fn(async () => 'sent');
    const auth = createLangChainAuth({
      gate: createGate({ audit: memoryAudit() }),
      interrupts: 'tool-message',
    });
    const agent = createAgent({
      model: new ScriptedChatModel([callTool('transfer', { amount: 10 })]),
      tools: [auth.withAuth(transferTool(body), requireFreshAuth({ maxAgeSeconds: 300 }))],
      checkpointer: new MemorySaver(),
    });
    const stale = createSession({ sub: 'alice', authTime: now() - 3600 });
    const result = await agent.invoke(
      { messages: [{ role: 'user', content: 'send 10' }] },
      { configurable: { thread_id: 'as-message', [SESSION_KEY]: stale } },
    );
    expect((result as { __interrupt__?: unknown[] }).__interrupt__ ?? []).toEqual([]);
    const message = result.messages.find((entry) => ToolMessage.isInstance(entry));
    expect(readAgentGateToolMessage(message)).toMatchObject({ kind: 'interrupt', code: 'STEP_UP_REQUIRED' });
    expect(body).not.toHaveBeenCalled();
  });

  it('tells the model, as a decision and not a raw error, when the resuming user must sign in again', async () => {
    const audit = memoryAudit();
    const approvals = createApprovals({ store: new MemoryStore(), audit });
    const body = vi.fn(async () => 'sent');
    const auth = createLangChainAuth({ gate: createGate({ audit }), approvals });
    const transfer = auth.withAuth(
      transferTool(body),
      { risk: 'high' },
      approvals.guard<{ amount: number }>({
        channel: 'in-app',
        mode: 'interrupt',
        details: ({ args }) => [{ type: 'transfer', amount: args.amount }],
        bindingMessage: ({ args }) => `Send ${args.amount}`,
      }),
    );
    const agent = createAgent({
      model: new ScriptedChatModel([callTool('transfer', { amount: 10 })]),
      tools: [transfer],
      checkpointer: new MemorySaver(),
    });
    const user = { sub: 'alice', iss: 'https://id.example', id: 'run-1' };
    const shown = await agent.invoke(
      { messages: [{ role: 'user', content: 'send 10' }] },
      { configurable: { thread_id: 'revoked', [SESSION_KEY]: createSession(user) } },
    );
    const value = (shown as { __interrupt__?: { value: InterruptValue }[] }).__interrupt__?.[0]?.value;
    expect(value?.agentgate.code).toBe('APPROVAL_PENDING');
    // The login of the resumed run no longer stands: approvals.decide() re-checks it and asks for a step-up.
    const revoked = createSession({
      ...user,
      revalidate: async () => {
        throw new GateInterrupt('STEP_UP_REQUIRED', 'sign in again', {
          details: { authorizationParams: { prompt: 'login' } },
        });
      },
    });
    const done = await agent.invoke(new Command({ resume: { approve: true } }), {
      configurable: { thread_id: 'revoked', [SESSION_KEY]: revoked },
    });
    const message = done.messages.find((entry) => ToolMessage.isInstance(entry));
    expect(readAgentGateToolMessage(message)).toMatchObject({ code: 'STEP_UP_REQUIRED' });
    await expect(approvals.get(value?.agentgate.details.approvalId as string)).resolves.toMatchObject({
      status: 'pending',
    });
    expect(body).not.toHaveBeenCalled();
    await approvals.close();
  });

  it('stops with a clear error when LangGraph keeps its resume state in another shape', async () => {
    const body = vi.fn(async () => 'sent');
    const auth = createLangChainAuth({ gate: createGate({ audit: memoryAudit() }) });
    const connect = defineGuard({
      name: 'vault(bank)',
      kind: 'vault',
      check: () => {
        throw new GateInterrupt('CONNECTION_REQUIRED', 'connect bank', {
          details: { connection: 'bank', requiredScopes: [], connectUrl: 'https://id/connect' },
        });
      },
    });
    const transfer = auth.withAuth(transferTool(body), connect);
    // A run resumed by a LangGraph whose task scratchpad is not the 1.x one (`resume` is no longer an array).
    const config = {
      configurable: {
        ...sessionConfig(createSession({ sub: 'alice' })).configurable,
        __pregel_checkpointer: new MemorySaver(),
        __pregel_scratchpad: { interruptCounter: -1, resume: 'r' },
      },
    };
    await expect(transfer.invoke({ amount: 1 }, config)).rejects.toThrow(/scratchpad/);
    expect(body).not.toHaveBeenCalled();
  });

  it("refuses interrupts: 'langgraph' outside a LangGraph run with a checkpointer", async () => {
    const body = vi.fn(async () => 'sent');
    const auth = createLangChainAuth({ gate: createGate({ audit: memoryAudit() }), interrupts: 'langgraph' });
    const transfer = auth.withAuth(transferTool(body));
    await expect(
      transfer.invoke({ amount: 1 }, sessionConfig(createSession({ sub: 'alice' }))),
    ).rejects.toThrow(/checkpointer/);
    expect(body).not.toHaveBeenCalled();
  });
});
