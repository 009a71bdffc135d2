import { createGate, GateDenied, memoryAudit } from '@agentgate/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SeededFga, startSeededFga } from './support/fga-server';
import { alice, bob, carol, serverAuthorizer } from './support/fixtures';
import { type CountingProxy, startCountingProxy } from './support/proxy';

let fga: SeededFga;
let proxy: CountingProxy;

beforeAll(async () => {
  fga = await startSeededFga();
  proxy = await startCountingProxy(fga.server.apiUrl);
});
afterAll(async () => {
  await proxy?.close();
  await fga?.close();
});
beforeEach(() => proxy.reset());

const readDoc = { name: 'read_doc' };

describe('FgaAuthorizer.guard', () => {
  it('allows the session user on the object the arguments name, and denies others', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url);
    const gate = createGate({ audit: memoryAudit() });
    const guard = authorizer.guard<{ id: string }>({
      relation: 'viewer',
      object: (args) => `doc:${args.id}`,
    });
    expect(guard).toMatchObject({ name: 'fga(viewer)', kind: 'fga' });
    const run = (session: typeof alice, id: string) =>
      gate.run<{ id: string }, string>(
        { tool: readDoc, args: { id } },
        session,
        [guard],
        (args) => `contents of ${args.id}`,
      );
    await expect(run(alice, 'd2')).resolves.toBe('contents of d2');
    const denied = await run(alice, 'd3').catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(GateDenied);
    expect(denied).toMatchObject({
      code: 'FORBIDDEN',
      guard: 'fga(viewer)',
      details: { relation: 'viewer', object: 'doc:d3' },
    });
  });

  it('never takes the user from the arguments', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url);
    const gate = createGate({ audit: memoryAudit() });
    // A tool whose arguments carry a user: the guard ignores it, whatever the model puts there.
    const guard = authorizer.guard<{ id: string; user: string }>({
      relation: 'viewer',
      object: (args) => `doc:${args.id}`,
    });
    let ran = false;
    const call = gate.run({ tool: readDoc, args: { id: 'd10', user: 'user:bob' } }, carol, [guard], () => {
      ran = true;
    });
    await expect(call).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(ran).toBe(false);
    // The filter takes no user at all.
    await expect(
      authorizer.filterDocuments([], {
        session: carol,
        relation: 'viewer',
        object: String,
        user: 'user:bob',
      } as never),
    ).rejects.toThrow(TypeError);
  });

  it('never lets the arguments choose contextual tuples or context by default', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url);
    const gate = createGate({ audit: memoryAudit() });
    const seen: object[] = [];
    // The pattern the model would exploit: a folder it names becomes the document's parent for this question.
    const unsafe = authorizer.guard<{ id: string; folder: string }>({
      relation: 'viewer',
      object: (args) => `doc:${args.id}`,
      contextualTuples: ((input: { args: { id: string; folder: string } }) => {
        seen.push(input);
        return [{ user: `folder:${input.args.folder}`, relation: 'parent', object: `doc:${input.args.id}` }];
      }) as never,
    });
    let ran = false;
    const call = gate.run(
      { tool: readDoc, args: { id: 'd3', folder: 'staff-docs' } },
      alice,
      [unsafe],
      () => {
        ran = true;
      },
    );
    await expect(call).rejects.toMatchObject({ code: 'GUARD_FAILED' });
    expect(ran).toBe(false);
    expect(seen).toEqual([{ session: alice }]); // the arguments are not there to be read
    expect(proxy.total()).toBe(0);
  });

  it('takes contextual tuples and context from the session by default', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url);
    const gate = createGate({ audit: memoryAudit() });
    const guard = authorizer.guard<{ id: string }>({
      relation: 'viewer',
      object: (args) => `doc:${args.id}`,
      contextualTuples: ({ session }) => [
        {
          user: `user:${session.user.sub}`,
          relation: 'viewer',
          object: 'doc:new-doc',
          condition: { name: 'before_deadline', context: { deadline: '2100-01-01T00:00:00Z' } },
        },
      ],
      context: async () => ({ now: new Date().toISOString() }),
    });
    await expect(
      gate.run({ tool: readDoc, args: { id: 'new-doc' } }, alice, [guard], () => 'ok'),
    ).resolves.toBe('ok');
    await expect(
      gate.run({ tool: readDoc, args: { id: 'd3' } }, alice, [guard], () => 'ok'),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('takes contextual tuples from the arguments only with trustArguments: true', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url);
    const gate = createGate({ audit: memoryAudit() });
    const guard = authorizer.guard<{ id: string; folder: string }>({
      relation: 'viewer',
      object: (args) => `doc:${args.id}`,
      trustArguments: true,
      contextualTuples: ({ args }) => [
        { user: `folder:${args.folder}`, relation: 'parent', object: `doc:${args.id}` },
      ],
    });
    await expect(
      gate.run({ tool: readDoc, args: { id: 'new-doc', folder: 'staff-docs' } }, alice, [guard], () => 'ok'),
    ).resolves.toBe('ok');
    await expect(
      gate.run({ tool: readDoc, args: { id: 'new-doc', folder: 'other' } }, alice, [guard], () => 'ok'),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(() =>
      authorizer.guard({ relation: 'viewer', object: () => 'doc:d2', trustArguments: 'yes' } as never),
    ).toThrow(/trustArguments must be a boolean/);
  });

  it('denies a call that names no valid object', async () => {
    const guard = serverAuthorizer(fga, proxy.url).guard<{ id: string }>({
      relation: 'viewer',
      object: (args) => args.id,
    });
    const gate = createGate({ audit: memoryAudit() });
    await expect(
      gate.run({ tool: readDoc, args: { id: 'd2' } }, alice, [guard], () => 'ok'),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(proxy.total()).toBe(0);
  });

  it('shares the memo of a turn run with runTurn', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url);
    const gate = createGate({ audit: memoryAudit() });
    const guard = authorizer.guard<{ id: string }>({
      relation: 'viewer',
      object: (args) => `doc:${args.id}`,
    });
    await authorizer.runTurn(async () => {
      for (let call = 0; call < 3; call++) {
        await gate.run({ tool: readDoc, args: { id: 'd2' } }, alice, [guard], () => 'ok');
      }
    });
    expect(proxy.total()).toBe(1);
  });
});

describe('FgaAuthorizer.authorizedTools', () => {
  const tools = [
    { name: 'search_docs' },
    { name: 'summarize' },
    { name: 'refund' },
    { name: 'not a tool id#' },
  ];
  const options = { relation: 'can_use', object: (tool: { name: string }) => `tool:${tool.name}` };

  it('hides the tools the user cannot use, with one batch check', async () => {
    const audit = memoryAudit();
    const authorizer = serverAuthorizer(fga, proxy.url, { audit });
    const forAlice = await authorizer.authorizedTools(alice, tools, options);
    expect(forAlice).toMatchObject({ success: true, hidden: 2 });
    expect(forAlice.tools.map((tool) => tool.name)).toEqual(['search_docs', 'summarize']);
    expect(Object.fromEntries(proxy.counts)).toEqual({ '/batch-check': 1 });
    const forBob = await authorizer.authorizedTools(bob, tools, options);
    expect(forBob.tools.map((tool) => tool.name)).toEqual(['search_docs', 'refund']);
    const forCarol = await authorizer.authorizedTools(carol, tools, options);
    expect(forCarol.tools).toEqual([]);
    expect(audit.events[0]).toMatchObject({
      tool: 'authorizedTools',
      phase: 'filter',
      reason: 'post: 4 tools, 2 offered, 2 hidden, 1 requests',
    });
  });

  it('uses one list request for more tools than a batch holds', async () => {
    const many = Array.from({ length: 80 }, (_, index) => ({
      name: index === 7 ? 'summarize' : `tool-${index}`,
    }));
    const result = await serverAuthorizer(fga, proxy.url, {
      listObjectsMaxResults: Number.POSITIVE_INFINITY,
    }).authorizedTools(alice, many, options);
    expect(result.tools).toEqual([{ name: 'summarize' }]);
    expect(Object.fromEntries(proxy.counts)).toEqual({ '/list-objects': 1 });
  });

  it('the per-call guard still checks a tool the list offered', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url);
    const offered = await authorizer.authorizedTools(alice, tools, options);
    expect(offered.tools.map((tool) => tool.name)).toContain('summarize');
    await authorizer.deleteTuples([
      { user: 'group:staff#member', relation: 'can_use', object: 'tool:summarize' },
    ]);
    const gate = createGate({ audit: memoryAudit() });
    const guard = authorizer.guard({ relation: 'can_use', object: () => 'tool:summarize' });
    await expect(
      gate.run({ tool: { name: 'summarize' }, args: {} }, alice, [guard], () => 'ok'),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await authorizer.writeTuples([
      { user: 'group:staff#member', relation: 'can_use', object: 'tool:summarize' },
    ]);
  });
});
