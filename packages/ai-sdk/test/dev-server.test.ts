import { type Approvals, createApprovals, getApproval, getApprovalToken } from '@agentgate/approval';
import { createGate, createSession, MemoryStore, memoryAudit } from '@agentgate/core';
import { type DevServer, startDevServer } from '@agentgate/dev-server';
import { createTokenVault, getConnectionToken } from '@agentgate/token-vault';
import { generateText, isStepCount, readUIMessageStream, streamText, tool, type UIMessage } from 'ai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { agentGateToolApproval, createAiSdkAuth, isAgentGateResult, sessionToolsContext } from '../src/index';
import { scriptedModel } from './helpers';

let server: DevServer;
const open: Approvals[] = [];

beforeAll(async () => {
  server = await startDevServer({ cibaIntervalSeconds: 1, fga: false });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((approvals) => approvals.close()));
  for (const item of server.approvals.list({ status: 'pending' })) await server.approvals.deny(item.id);
});
afterAll(async () => {
  await server?.close();
});

const refundArgs = { orderId: '1042', amount: 240 };

describe('auth.approval — background sessions ask on the device (CIBA)', () => {
  it('runs the tool of a background generateText run once the user approves on the device', async () => {
    const audit = memoryAudit();
    const client = server.clients[0];
    if (!client) throw new Error('no seeded client');
    const approvals = createApprovals({
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
    open.push(approvals);
    const auth = createAiSdkAuth({ gate: createGate({ audit }), approvals });
    const seen: { approvalId: string; token: string }[] = [];
    const executed = vi.fn(async (args: { orderId: string; amount: number }) => {
      seen.push({ approvalId: getApproval().approvalId, token: getApprovalToken() });
      return { refunded: args.orderId };
    });
    const refund = auth.withAuth(
      tool({ inputSchema: z.object({ orderId: z.string(), amount: z.number() }), execute: executed }),
      { name: 'refund', risk: 'high' },
      auth.approval<{ orderId: string; amount: number }>({
        details: ({ args }) => [
          { type: 'refund', orderId: args.orderId, amount: args.amount, currency: 'EUR' },
        ],
        bindingMessage: ({ args }) => `Refund ${args.amount} on order ${args.orderId}`,
        timeoutMs: 20_000,
      }),
    );
    const revalidate = vi.fn(async () => {});
    const nightly = createSession({
      sub: 'alice',
      iss: server.issuer,
      tenant: 'acme',
      id: 'nightly-job',
      mode: 'background',
      revalidate,
    });
    const tools = { refund };
    const running = generateText({
      model: scriptedModel([
        { toolCalls: [{ toolName: 'refund', input: refundArgs }] },
        { text: 'Refunded.' },
      ]),
      tools,
      toolsContext: sessionToolsContext(tools, nightly),
      // The same toolApproval as in the chat: a background session is left to CIBA.
      toolApproval: agentGateToolApproval(),
      stopWhen: isStepCount(3),
      prompt: 'Process the refund queue',
    });
    const request = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
    expect(request).toMatchObject({
      bindingMessage: 'Refund 240 on order 1042',
      authorizationDetails: [{ type: 'refund', orderId: '1042', amount: 240, currency: 'EUR' }],
    });
    expect(executed).not.toHaveBeenCalled();
    await server.approvals.approve(request.id);
    const result = await running;
    expect(result.text).toBe('Refunded.');
    expect(result.content.some((part) => part.type === 'tool-approval-request')).toBe(false);
    expect(executed).toHaveBeenCalledTimes(1);
    expect(revalidate).toHaveBeenCalled(); // just in time, before the background action ran
    expect(seen[0]?.token.split('.')).toHaveLength(3);
    await expect(approvals.get(seen[0]?.approvalId ?? '')).resolves.toMatchObject({
      status: 'consumed',
      channel: 'ciba',
    });
    // The approval token is the tool's alone: not in the result the model and the UI see.
    expect(JSON.stringify(result.steps)).not.toContain(seen[0]?.token);
  });
});

describe('withAuth — CONNECTION_REQUIRED through a streamText loop', () => {
  it('returns the connect interrupt as the tool output, then runs with the connection token once connected', async () => {
    const client = server.clients[0];
    if (!client) throw new Error('no seeded client');
    const vault = createTokenVault({
      issuer: server.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      dialect: 'rfc8693',
      allowInsecureRequests: true,
      connectUrl: ({ connection }) => `${server.issuer}connections/${connection}/connect`,
    });
    const auth = createAiSdkAuth({ gate: createGate({ audit: memoryAudit() }) });
    const tokens = await server.login('alice@acme');
    const alice = createSession({
      sub: 'alice',
      iss: server.issuer,
      tenant: 'acme',
      subjectToken: async () => tokens.access_token,
    });
    const listEvents = auth.withAuth(
      tool({
        description: 'List calendar events',
        inputSchema: z.object({ day: z.string() }),
        execute: async () => {
          const response = await fetch(`${server.connections.apiUrl('acme-calendar')}/events`, {
            headers: { authorization: `Bearer ${getConnectionToken('acme-calendar')}` },
          });
          return { status: response.status };
        },
      }),
      { name: 'listEvents' },
      vault.guard({ connection: 'acme-calendar', scopes: ['events.read'] }),
    );
    const tools = { listEvents };
    const ask = async () => {
      const result = streamText({
        model: scriptedModel([
          { toolCalls: [{ toolName: 'listEvents', input: { day: 'today' } }] },
          { text: 'ok' },
        ]),
        tools,
        toolsContext: sessionToolsContext(tools, alice),
        stopWhen: isStepCount(3),
        prompt: 'What is on today?',
      });
      let last: UIMessage | undefined;
      for await (const message of readUIMessageStream({ stream: result.toUIMessageStream() })) last = message;
      return last?.parts.find((part) => part.type === 'tool-listEvents') as {
        state: string;
        output?: unknown;
      };
    };

    const first = await ask();
    expect(first.state).toBe('output-available');
    expect(isAgentGateResult(first.output)).toBe(true);
    expect(first.output).toMatchObject({
      agentgate: {
        kind: 'interrupt',
        code: 'CONNECTION_REQUIRED',
        details: {
          connection: 'acme-calendar',
          requiredScopes: ['events.read'],
          connectUrl: `${server.issuer}connections/acme-calendar/connect`,
        },
      },
    });
    expect(JSON.stringify(first.output)).not.toContain(tokens.access_token);

    await server.connections.connect('alice@acme', 'acme-calendar', { scopes: ['events.read'] });
    const second = await ask();
    expect(second).toMatchObject({ state: 'output-available', output: { status: 200 } });
  });
});
