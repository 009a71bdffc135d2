import {
  createGate,
  createSession,
  defineGuard,
  GateInterrupt,
  type Guard,
  memoryAudit,
  runWithSession,
} from '@agentgate/core';
import { requireScopes } from '@agentgate/identity';
import type { CallbackManagerForToolRun } from '@langchain/core/callbacks/manager';
import { ToolMessage } from '@langchain/core/messages';
import {
  DynamicStructuredTool,
  DynamicTool,
  isLangChainTool,
  isStructuredTool,
  StructuredTool,
  tool,
} from '@langchain/core/tools';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import { createAgent } from 'langchain';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createLangChainAuth, readAgentGateToolMessage, SESSION_KEY, sessionConfig } from '../src/index';
import { callTool, ScriptedChatModel } from './support/scripted-model';

const alice = createSession({ sub: 'alice', scopes: ['calendar:read'], id: 'run-alice' });
const mallory = createSession({ sub: 'mallory', scopes: ['calendar:read', 'admin'], id: 'run-mallory' });

function setup() {
  const audit = memoryAudit();
  const gate = createGate({ audit });
  const auth = createLangChainAuth({ gate });
  const body = vi.fn(async (args: { day: string }) => `events on ${args.day}`);
  const listEvents = tool(body, {
    name: 'list_events',
    description: 'Lists the calendar events of a day',
    schema: z.object({ day: z.string().describe('ISO date') }),
    metadata: { team: 'calendar' },
    tags: ['calendar'],
    returnDirect: false,
  });
  return { audit, gate, auth, body, listEvents };
}

/** A guard that records the user it saw. */
function seeing(users: string[]): Guard {
  return defineGuard({
    name: 'who',
    kind: 'identity',
    check: ({ session }) => void users.push(session.user.sub),
  });
}

describe('withAuth', () => {
  it('keeps the name, description, schema, response format, metadata, tags and class family', () => {
    const { auth } = setup();
    const search = tool(async ({ query }) => [`found ${query}`, { hits: 1 }], {
      name: 'search_docs',
      description: 'Searches the documents',
      schema: z.object({ query: z.string(), limit: z.number().int().default(5) }),
      responseFormat: 'content_and_artifact',
      metadata: { owner: 'docs' },
      tags: ['docs'],
      returnDirect: true,
    });
    const wrapped = auth.withAuth(search, requireScopes('docs:read'));
    expect(wrapped).toBeInstanceOf(DynamicStructuredTool);
    expect(wrapped).toBeInstanceOf(StructuredTool);
    expect(wrapped).not.toBe(search);
    expect(isStructuredTool(wrapped)).toBe(true);
    expect(isLangChainTool(wrapped)).toBe(true);
    expect(wrapped.name).toBe('search_docs');
    expect(wrapped.description).toBe('Searches the documents');
    expect(wrapped.schema).toBe(search.schema);
    expect(wrapped.responseFormat).toBe('content_and_artifact');
    expect(wrapped.metadata).toEqual({ owner: 'docs' });
    expect(wrapped.tags).toEqual(['docs']);
    expect(wrapped.returnDirect).toBe(true);
    expect(wrapped.lc_namespace).toEqual(search.lc_namespace);
    // What a provider receives is the same tool definition.
    expect(convertToOpenAITool(wrapped)).toEqual(convertToOpenAITool(search));
  });

  it('runs the tool for the session of the run and answers with its tool message', async () => {
    const { auth, listEvents, body, audit } = setup();
    const users: string[] = [];
    const wrapped = auth.withAuth(listEvents, seeing(users), requireScopes('calendar:read'));
    const message = await wrapped.invoke(
      { id: 'call-1', name: 'list_events', args: { day: '2026-12-02' }, type: 'tool_call' },
      sessionConfig(alice),
    );
    expect(message).toBeInstanceOf(ToolMessage);
    expect(message).toMatchObject({
      content: 'events on 2026-12-02',
      tool_call_id: 'call-1',
      status: 'success',
    });
    expect(body).toHaveBeenCalledTimes(1);
    expect(users).toEqual(['alice']);
    expect(audit.events.at(-1)).toMatchObject({
      sub: 'alice',
      tool: 'list_events',
      callId: 'call-1',
      outcome: 'executed',
    });
  });

  it('keeps the artifact of a content_and_artifact tool', async () => {
    const { auth } = setup();
    const search = tool(async ({ query }) => [`found ${query}`, { hits: 3 }], {
      name: 'search_docs',
      description: 'Searches',
      schema: z.object({ query: z.string() }),
      responseFormat: 'content_and_artifact',
    });
    const wrapped = auth.withAuth(search);
    const message = await wrapped.invoke(
      { id: 'c', name: 'search_docs', args: { query: 'refunds' }, type: 'tool_call' },
      sessionConfig(alice),
    );
    expect(message).toMatchObject({ content: 'found refunds', artifact: { hits: 3 } });
  });

  it('denies as a tool message with the code and the reason, without running the tool', async () => {
    const { auth, listEvents, body } = setup();
    const wrapped = auth.withAuth(listEvents, requireScopes('calendar:write'));
    const message = await wrapped.invoke(
      { id: 'call-2', name: 'list_events', args: { day: '2026-12-02' }, type: 'tool_call' },
      sessionConfig(alice),
    );
    expect(message).toMatchObject({ tool_call_id: 'call-2', status: 'error', name: 'list_events' });
    expect(readAgentGateToolMessage(message)).toMatchObject({
      kind: 'denied',
      code: 'INSUFFICIENT_SCOPE',
      details: { missing: ['calendar:write'] },
    });
    expect(body).not.toHaveBeenCalled();
    // Called without a tool call, the result is the JSON text itself.
    const text = await wrapped.invoke({ day: '2026-12-02' }, sessionConfig(alice));
    expect(JSON.parse(text as string)).toMatchObject({ agentgate: { code: 'INSUFFICIENT_SCOPE' } });
  });

  it('never takes the session from the tool input', async () => {
    const { auth, body } = setup();
    const users: string[] = [];
    const lookup = tool(async ({ userId }) => `profile of ${userId}`, {
      name: 'lookup_profile',
      description: 'Looks up a profile',
      schema: z.object({ userId: z.string() }).passthrough(),
    });
    const wrapped = auth.withAuth(lookup, seeing(users));
    // What a model can put in arguments: JSON, here shaped like a session in every place the adapter reads one.
    const forged = JSON.parse(JSON.stringify(mallory));
    const injected = {
      userId: 'mallory',
      [SESSION_KEY]: forged,
      configurable: { [SESSION_KEY]: forged },
      context: { [SESSION_KEY]: forged },
    };
    // With the run's session: the guard sees alice, whatever the input says (the input is just input).
    const message = await wrapped.invoke(
      { id: 'c1', name: 'lookup_profile', args: injected, type: 'tool_call' },
      sessionConfig(alice),
    );
    expect(message).toMatchObject({ content: 'profile of mallory', status: 'success' });
    expect(users).toEqual(['alice']);
    // Without one: denied, although the input carries a well-formed session.
    const denied = await wrapped.invoke({
      id: 'c2',
      name: 'lookup_profile',
      args: injected,
      type: 'tool_call',
    });
    expect(readAgentGateToolMessage(denied)).toMatchObject({ code: 'NO_SESSION' });
    expect(users).toEqual(['alice']);
    expect(body).not.toHaveBeenCalled();
  });

  it('refuses a session that arrives as JSON in the run config or context (a client of a LangGraph server)', async () => {
    const { auth, listEvents, body } = setup();
    const users: string[] = [];
    const wrapped = auth.withAuth(listEvents, seeing(users));
    // What a client can send as `config.configurable` / `context` over HTTP: a well-formed session, minus functions.
    const forged = JSON.parse(JSON.stringify(mallory));
    // And one built by hand in process, with a function where JSON has none but a field missing.
    const { roles: _roles, ...withoutRoles } = mallory;
    for (const config of [
      { configurable: { [SESSION_KEY]: forged } },
      { context: { [SESSION_KEY]: forged } },
      { configurable: { [SESSION_KEY]: withoutRoles } },
    ]) {
      const result = await runWithSession(alice, () => wrapped.invoke({ day: 'today' }, config as never));
      expect(readAgentGateToolMessage(result)).toMatchObject({ code: 'NO_SESSION' });
    }
    expect(users).toEqual([]);
    expect(body).not.toHaveBeenCalled();
    expect(() => sessionConfig(forged)).toThrow(TypeError);
    expect(() => sessionConfig(withoutRoles as never)).toThrow(TypeError);
  });

  it('takes the session from runWithSession and from the run context', async () => {
    const { auth, listEvents } = setup();
    const users: string[] = [];
    const wrapped = auth.withAuth(listEvents, seeing(users));
    await runWithSession(alice, () => wrapped.invoke({ day: 'today' }));
    await wrapped.invoke({ day: 'today' }, { context: { [SESSION_KEY]: mallory } } as never);
    expect(users).toEqual(['alice', 'mallory']);
  });

  it('denies a session key that holds no session instead of looking elsewhere', async () => {
    const { auth, listEvents, body } = setup();
    const wrapped = auth.withAuth(listEvents);
    for (const held of [{ user: 'alice' }, null]) {
      const result = await runWithSession(alice, () =>
        wrapped.invoke({ day: 'today' }, { configurable: { [SESSION_KEY]: held } }),
      );
      expect(readAgentGateToolMessage(result)).toMatchObject({ code: 'NO_SESSION' });
    }
    expect(body).not.toHaveBeenCalled();
  });

  it('returns an interrupt as a tool message outside LangGraph', async () => {
    const { auth, listEvents } = setup();
    const connect = defineGuard({
      name: 'vault(acme-calendar)',
      kind: 'vault',
      check: () => {
        throw new GateInterrupt('CONNECTION_REQUIRED', 'connect acme-calendar', {
          details: {
            connection: 'acme-calendar',
            requiredScopes: ['events.read'],
            connectUrl: 'https://id/connect',
          },
        });
      },
    });
    const wrapped = auth.withAuth(listEvents, connect);
    const message = await wrapped.invoke(
      { id: 'c', name: 'list_events', args: { day: 'x' }, type: 'tool_call' },
      sessionConfig(alice),
    );
    expect(readAgentGateToolMessage(message)).toMatchObject({
      kind: 'interrupt',
      code: 'CONNECTION_REQUIRED',
      details: { connection: 'acme-calendar', connectUrl: 'https://id/connect' },
    });
  });

  it('is usable curried and with options first, and checks the risk policy at creation', async () => {
    const { auth, listEvents } = setup();
    const wrap = auth.withAuth(requireScopes('calendar:read'));
    expect(wrap(listEvents).name).toBe('list_events');
    expect(auth.withAuth(listEvents, { risk: 'medium' }, requireScopes('calendar:read')).name).toBe(
      'list_events',
    );
    expect(() => auth.withAuth(listEvents, { risk: 'high' }, requireScopes('calendar:read'))).toThrow(
      /high risk.*approval/,
    );
    expect(() => auth.withAuth(listEvents, { risk: 'extreme' as never })).toThrow(TypeError);
    expect(() => auth.withAuth(listEvents, { level: 'high' } as never)).toThrow(/level/);
    expect(() => auth.withAuth(listEvents, {} as never, 'not a guard' as never)).toThrow(TypeError);
    expect(() => wrap({} as never)).toThrow(/LangChain tool/);
    expect(() => createLangChainAuth({ gate: undefined as never })).toThrow(/gate/);
    expect(() =>
      createLangChainAuth({ gate: createGate({ audit: false }), interrupts: 'never' as never }),
    ).toThrow(/interrupts/);
  });

  it('wraps a StructuredTool subclass and a string tool', async () => {
    const { auth } = setup();
    class Weather extends StructuredTool {
      name = 'weather';
      description = 'The weather in a city';
      schema = z.object({ city: z.string() });
      runs: CallbackManagerForToolRun[] = [];
      async _call({ city }: { city: string }, runManager?: CallbackManagerForToolRun) {
        if (runManager) this.runs.push(runManager);
        return `sunny in ${city}`;
      }
    }
    const weather = new Weather();
    const wrappedWeather = auth.withAuth(weather);
    expect(wrappedWeather).toBeInstanceOf(DynamicStructuredTool);
    const callbacks = [{ handleToolStart: vi.fn() }];
    await expect(
      wrappedWeather.invoke({ city: 'Lyon' }, { ...sessionConfig(alice), callbacks }),
    ).resolves.toBe('sunny in Lyon');
    // The inner body runs inside the wrapper's run (one tool run, its run manager handed down).
    expect(weather.runs).toHaveLength(1);
    expect(callbacks[0]?.handleToolStart).toHaveBeenCalledTimes(1);

    const echo = tool(async (text: string) => `echo ${text}`, {
      name: 'echo',
      description: 'Echoes',
      schema: z.string(),
    });
    const wrappedEcho = auth.withAuth(echo);
    expect(wrappedEcho).toBeInstanceOf(DynamicTool);
    await expect(wrappedEcho.invoke('hi', sessionConfig(alice))).resolves.toBe('echo hi');
  });

  it('keeps the agent loop running: the model reads the denial and answers', async () => {
    const { auth, listEvents, body } = setup();
    const model = new ScriptedChatModel([callTool('list_events', { day: '2026-12-02' })]);
    const agent = createAgent({ model, tools: [auth.withAuth(listEvents, requireScopes('calendar:write'))] });
    const result = await agent.invoke(
      { messages: [{ role: 'user', content: 'what is on today?' }] },
      sessionConfig(alice),
    );
    const toolMessage = result.messages.find((message) => ToolMessage.isInstance(message));
    expect(readAgentGateToolMessage(toolMessage)).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    expect(result.messages.at(-1)?.content).toBe('done');
    // The model's second turn saw the denial.
    expect(model.turns[1]?.messages.some((message) => readAgentGateToolMessage(message))).toBe(true);
    expect(body).not.toHaveBeenCalled();
  });
});
