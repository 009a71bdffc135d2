import {
  type AgentSession,
  createGate,
  createSession,
  currentCall,
  defineGuard,
  memoryAudit,
  runWithSession,
  type SessionView,
  verifyAuditChain,
} from '@agentgate/core';
import { requireFreshAuth, requireScopes } from '@agentgate/identity';
import { generateText, isStepCount, readUIMessageStream, streamText, tool, type UIMessage } from 'ai';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  agentGateToolApproval,
  createAiSdkAuth,
  isAgentGateResult,
  sessionContext,
  sessionToolsContext,
} from '../src/index';
import { scriptedModel } from './helpers';

const alice = createSession({ sub: 'alice', id: 'run-alice', scopes: ['calendar:read'], authTime: 1 });
const eventsInput = z.object({ day: z.string() });

function calendar() {
  const audit = memoryAudit();
  const gate = createGate({ audit });
  const auth = createAiSdkAuth({ gate });
  const seen: { args: unknown; user?: SessionView; context: unknown }[] = [];
  const listEventsTool = tool({
    description: 'List the events of a day',
    inputSchema: eventsInput,
    outputSchema: z.array(z.string()),
    providerOptions: { acme: { cache: true } },
    metadata: { source: 'calendar' },
    strict: true,
    inputExamples: [{ input: { day: '2026-12-02' } }],
    execute: async (args, options) => {
      seen.push({ args, user: currentCall()?.session, context: options.context });
      return [`standup on ${args.day}`];
    },
  });
  const listEvents = auth.withAuth(listEventsTool, { name: 'listEvents' }, requireScopes('calendar:read'));
  return { audit, gate, auth, listEventsTool, listEvents, seen };
}

describe('withAuth', () => {
  it('keeps the description, schemas, provider options, metadata and examples of the tool', () => {
    const { listEventsTool, listEvents } = calendar();
    expect(listEvents).not.toBe(listEventsTool);
    for (const key of [
      'description',
      'inputSchema',
      'providerOptions',
      'metadata',
      'strict',
      'inputExamples',
    ] as const) {
      expect(listEvents[key], key).toBe(listEventsTool[key]);
    }
    expect(listEvents.execute).not.toBe(listEventsTool.execute);
    // The output schema is the tool's own or a decision (see output-schema.test.ts).
    expect(listEvents.outputSchema).not.toBe(listEventsTool.outputSchema);
  });

  it('runs the tool for the session of its context, through a generateText loop', async () => {
    const { listEvents, seen, audit } = calendar();
    const tools = { listEvents };
    const result = await generateText({
      model: scriptedModel([
        { toolCalls: [{ toolName: 'listEvents', input: { day: '2026-12-02' } }] },
        { text: 'You have a standup.' },
      ]),
      tools,
      toolsContext: sessionToolsContext(tools, alice),
      stopWhen: isStepCount(3),
      prompt: 'What is on today?',
    });
    expect(result.text).toBe('You have a standup.');
    expect(result.steps[0]?.toolResults).toMatchObject([{ output: ['standup on 2026-12-02'] }]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.user?.user.sub).toBe('alice');
    // The tool's own context never holds the session (nor its subject token).
    expect(seen[0]?.context).toEqual({});
    const outcomes = audit.events.map((event) => [event.phase, event.outcome, event.sub]);
    expect(outcomes).toEqual([
      ['guard', 'allow', 'alice'],
      ['execute', 'executed', 'alice'],
    ]);
    expect(verifyAuditChain(audit.events).valid).toBe(true);
  });

  it('takes no identity from the input: a user or session the model writes into the arguments is ignored', async () => {
    const { auth, audit } = calendar();
    const ran = vi.fn(async () => 'ok');
    // The schema even lets the model pass these fields: the gate still acts for the context's session only.
    const lookup = auth.withAuth(
      tool({
        inputSchema: z.object({
          day: z.string(),
          user: z.string().optional(),
          agentgateSession: z.unknown(),
        }),
        execute: ran,
      }),
      { name: 'lookup' },
      requireScopes('calendar:read'),
    );
    const forged = { sub: 'mallory', scopes: ['calendar:read'] };
    const input = { day: 'x', user: 'mallory', agentgateSession: { user: forged, ...forged } };
    const withoutSession = await lookup.execute?.(input, { toolCallId: 'c1', messages: [], context: {} });
    expect(withoutSession).toMatchObject({ agentgate: { kind: 'denied', code: 'NO_SESSION' } });
    expect(ran).not.toHaveBeenCalled();

    const bob = createSession({ sub: 'bob', id: 'run-bob' }); // no calendar:read
    const asBob = await lookup.execute?.(input, {
      toolCallId: 'c2',
      messages: [],
      context: sessionContext(bob),
    });
    expect(asBob).toMatchObject({
      agentgate: { code: 'INSUFFICIENT_SCOPE', details: { missing: ['calendar:read'] } },
    });
    expect(ran).not.toHaveBeenCalled();
    expect(audit.events.map((event) => event.sub)).toEqual([undefined, 'bob']);
  });

  it("keeps the tool's own context schema: its entry is validated and handed to it without the session", async () => {
    const { auth } = calendar();
    const seenContexts: unknown[] = [];
    const weather = auth.withAuth(
      tool({
        inputSchema: z.object({ city: z.string() }),
        contextSchema: z.object({ unit: z.enum(['celsius', 'fahrenheit']) }),
        execute: async ({ city }, { context }) => {
          seenContexts.push(context);
          return `${city}: 20 ${context.unit}`;
        },
      }),
      { name: 'weather' },
      requireScopes('calendar:read'),
    );
    const tools = { weather };
    const model = () =>
      scriptedModel([{ toolCalls: [{ toolName: 'weather', input: { city: 'Oslo' } }] }, { text: 'ok' }]);
    const result = await generateText({
      model: model(),
      tools,
      toolsContext: sessionToolsContext(tools, alice, { weather: { unit: 'celsius' } }),
      stopWhen: isStepCount(3),
      prompt: 'weather?',
    });
    expect(result.steps[0]?.toolResults).toMatchObject([{ output: 'Oslo: 20 celsius' }]);
    expect(seenContexts).toEqual([{ unit: 'celsius' }]);
    await expect(
      generateText({
        model: model(),
        tools,
        toolsContext: { weather: { unit: 'kelvin' as 'celsius', agentgateSession: alice } },
        prompt: 'weather?',
      }),
    ).rejects.toThrow(/tool context/i);
  });

  it("hands the tool's description function and input hooks their own context, never the session", async () => {
    const { auth } = calendar();
    const contexts: unknown[] = [];
    const describe = vi.fn(({ context }: { context: unknown }) => {
      contexts.push(context);
      return 'Look up an order';
    });
    const lookup = auth.withAuth(
      tool({
        description: describe,
        inputSchema: z.object({ orderId: z.string() }),
        onInputAvailable: ({ context }) => {
          contexts.push(context);
        },
        execute: async ({ orderId }) => orderId,
      }),
      { name: 'lookup' },
      requireScopes('calendar:read'),
    );
    const tools = { lookup };
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'lookup', input: { orderId: '7' } }] },
      { text: 'ok' },
    ]);
    await generateText({
      model,
      tools,
      toolsContext: sessionToolsContext(tools, alice),
      stopWhen: isStepCount(3),
      prompt: 'order 7?',
    });
    expect(model.doGenerateCalls[0]?.tools?.[0]).toMatchObject({ description: 'Look up an order' });
    expect(contexts.length).toBeGreaterThanOrEqual(2);
    for (const context of contexts) expect(context).toEqual({});
  });

  it('falls back to the session of runWithSession', async () => {
    const { listEvents, seen } = calendar();
    const output = await runWithSession(alice, () =>
      listEvents.execute?.({ day: 'd' }, { toolCallId: 'c1', messages: [], context: undefined as never }),
    );
    expect(output).toEqual(['standup on d']);
    expect(seen[0]?.user?.user.sub).toBe('alice');
  });

  it('never falls back to runWithSession when the context names a session that is not one', async () => {
    const { listEvents, seen, audit } = calendar();
    const { roles: _roles, ...withoutRoles } = createSession({ sub: 'mallory', scopes: ['calendar:read'] });
    for (const entry of [withoutRoles, { user: { sub: 'mallory' } }, null]) {
      const output = await runWithSession(alice, () =>
        listEvents.execute?.(
          { day: 'd' },
          { toolCallId: 'c1', messages: [], context: { agentgateSession: entry } as never },
        ),
      );
      expect(output).toMatchObject({ agentgate: { code: 'NO_SESSION' } });
    }
    expect(seen).toHaveLength(0);
    expect(audit.events.map((event) => [event.phase, event.code, event.sub])).toEqual([
      ['session', 'NO_SESSION', undefined],
      ['session', 'NO_SESSION', undefined],
      ['session', 'NO_SESSION', undefined],
    ]);
  });

  it('refuses a context whose session is not a session', async () => {
    const { listEvents } = calendar();
    const tools = { listEvents };
    await expect(
      generateText({
        model: scriptedModel([
          { toolCalls: [{ toolName: 'listEvents', input: { day: 'd' } }] },
          { text: 'done' },
        ]),
        tools,
        toolsContext: { listEvents: { agentgateSession: { user: 'alice' } as unknown as AgentSession } },
        prompt: 'go',
      }),
    ).rejects.toThrow(/agentgateSession must be an AgentSession/);
  });

  it('checks its input at creation', () => {
    const { auth, listEventsTool } = calendar();
    expect(() => auth.withAuth(listEventsTool, requireScopes('x') as never)).toThrow(/name, risk/);
    expect(() => auth.withAuth(listEventsTool, { name: 'x', riks: 'high' } as never)).toThrow(TypeError);
    // A high-risk tool without an approval guard cannot be built (the gate's default risk policy).
    expect(() => auth.withAuth(listEventsTool, { name: 'x', risk: 'high' })).toThrow(/approval/);
    const clientSide = tool({ inputSchema: eventsInput, outputSchema: z.string() });
    expect(() => auth.withAuth(clientSide, { name: 'x' })).toThrow(/no execute/);
    expect(() => createAiSdkAuth({ gate: createGate({ audit: false }), extra: 1 } as never)).toThrow(
      TypeError,
    );
    expect(() => auth.approval({ details: () => [], bindingMessage: () => 'x' })).toThrow(/approvals/);
    expect(() => agentGateToolApproval({ otherTools: 'maybe' } as never)).toThrow(/otherTools/);
    expect(() => agentGateToolApproval({ gate: createGate({ audit: false }) } as never)).toThrow(TypeError);
    expect(() => sessionContext({ sub: 'alice' } as never)).toThrow(TypeError);
  });
});

describe('denials and interrupts in the UI stream', () => {
  it('returns them as structured tool outputs the model reads and isAgentGateResult recognises', async () => {
    const { auth } = calendar();
    const executed = vi.fn(async () => 'sent');
    const reached = vi.fn(async () => {});
    const sendMail = auth.withAuth(
      tool({ description: 'Send a mail', inputSchema: z.object({ to: z.string() }), execute: executed }),
      { name: 'sendMail' },
      requireScopes('mail:send'),
    );
    const transfer = auth.withAuth(
      tool({ description: 'Move money', inputSchema: z.object({ amount: z.number() }), execute: executed }),
      { name: 'transfer' },
      requireFreshAuth({ maxAgeSeconds: 60 }),
      defineGuard({ name: 'never-reached', kind: 'policy', check: reached }),
    );
    const tools = { sendMail, transfer };
    const model = scriptedModel([
      {
        toolCalls: [
          { toolName: 'sendMail', input: { to: 'bob' }, toolCallId: 'mail-1' },
          { toolName: 'transfer', input: { amount: 5 }, toolCallId: 'transfer-1' },
        ],
      },
      { text: 'I could not do either.' },
    ]);
    const result = streamText({
      model,
      tools,
      toolsContext: sessionToolsContext(tools, alice),
      stopWhen: isStepCount(3),
      prompt: 'mail bob and move 5',
    });
    let last: UIMessage | undefined;
    for await (const message of readUIMessageStream({ stream: result.toUIMessageStream() })) last = message;
    const toolParts = (last?.parts ?? []).filter((part) => part.type.startsWith('tool-')) as Array<{
      type: string;
      state: string;
      output?: unknown;
    }>;
    expect(toolParts.map((part) => [part.type, part.state])).toEqual([
      ['tool-sendMail', 'output-available'],
      ['tool-transfer', 'output-available'],
    ]);
    const [mail, money] = toolParts.map((part) => part.output);
    expect(isAgentGateResult(mail)).toBe(true);
    expect(mail).toEqual({
      agentgate: {
        kind: 'denied',
        code: 'INSUFFICIENT_SCOPE',
        guard: 'requireScopes(mail:send)',
        message: expect.stringContaining('mail:send'),
        details: { missing: ['mail:send'], required: ['mail:send'] },
      },
    });
    expect(isAgentGateResult(money)).toBe(true);
    expect(money).toMatchObject({
      agentgate: {
        kind: 'interrupt',
        code: 'STEP_UP_REQUIRED',
        details: { authorizationParams: { max_age: '60' } },
      },
    });
    expect(executed).not.toHaveBeenCalled();
    expect(reached).not.toHaveBeenCalled();
    // The model's next turn reads the same JSON as the tool result.
    const secondPrompt = JSON.stringify(model.doStreamCalls[1]?.prompt);
    expect(secondPrompt).toContain('INSUFFICIENT_SCOPE');
    expect(secondPrompt).toContain('STEP_UP_REQUIRED');
  });
});
