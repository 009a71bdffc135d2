import { createGate, createSession, memoryAudit } from '@agentgate/core';
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
