import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  type AuditEvent,
  AuditFailed,
  type AuditSink,
  ConnectionTokenRejected,
  createGate,
  createSession,
  currentCall,
  defineGuard,
  digestArgs,
  GateDenied,
  GateInterrupt,
  type Guard,
  getCredential,
  memoryAudit,
  runWithSession,
  verifyAuditChain,
} from '../src/index';
import { allowGuard, denyForbidden, failingGuard } from './helpers';

const alice = createSession({
  sub: 'alice',
  tenant: 'acme',
  scopes: ['calendar:read'],
  subjectToken: 'secret-at',
});
const refundTool = {
  name: 'refund',
  schema: z.object({ orderId: z.string().min(1), amount: z.number().positive() }),
};

describe('createGate', () => {
  it('refuses to be created without an audit decision', () => {
    expect(() => createGate({} as never)).toThrow(TypeError);
    expect(() => createGate({ audit: {} as never })).toThrow(/AuditSink/);
    expect(() => createGate({ audit: false, riskPolicy: { extreme: ['x'] } as never })).toThrow(
      /unknown risk level/,
    );
  });
});

describe('gate.run', () => {
  it('runs guards in order and executes when all pass', async () => {
    const trail: string[] = [];
    const gate = createGate({ audit: false });
    const result = await gate.run(
      { tool: refundTool, args: { orderId: '1042', amount: 240 } },
      alice,
      [allowGuard('first', trail), allowGuard('second', trail), allowGuard('third', trail)],
      (args) => {
        trail.push('execute');
        return `refunded ${args.amount} on ${args.orderId}`;
      },
    );
    expect(result).toBe('refunded 240 on 1042');
    expect(trail).toEqual(['first', 'second', 'third', 'execute']);
  });

  it.each([
    [
      'a denial',
      () =>
        new GateDenied('INSUFFICIENT_SCOPE', 'scope missing', {
          details: { missing: ['a'], required: ['a'] },
        }),
      'INSUFFICIENT_SCOPE',
    ],
    ['an interrupt', () => new GateInterrupt('APPROVAL_PENDING', 'waiting for the user'), 'APPROVAL_PENDING'],
    ['an unexpected error', () => new Error('connection reset'), 'GUARD_FAILED'],
    ['a thrown string', () => 'boom', 'GUARD_FAILED'],
  ])('stops at %s: later guards and the tool never run', async (_label, fail, code) => {
    const trail: string[] = [];
    const execute = vi.fn();
    const gate = createGate({ audit: false });
    const guards = [
      allowGuard('first', trail),
      failingGuard('second', trail, fail),
      allowGuard('third', trail),
    ];
    await expect(
      gate.run({ tool: refundTool, args: { orderId: '1', amount: 1 } }, alice, guards, execute),
    ).rejects.toMatchObject({ code, guard: 'second' });
    expect(trail).toEqual(['first', 'second']);
    expect(execute).not.toHaveBeenCalled();
  });

  it('turns an unexpected guard error into GUARD_FAILED that keeps the cause and hides tokens', async () => {
    const gate = createGate({ audit: false });
    const cause = new Error('upstream said: Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl');
    const error = await gate
      .run(
        { tool: refundTool, args: { orderId: '1', amount: 1 } },
        alice,
        [failingGuard('vault', [], () => cause)],
        vi.fn(),
      )
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(GateDenied);
    expect(error).toMatchObject({ code: 'GUARD_FAILED', guard: 'vault' });
    expect((error as GateDenied).cause).toMatchObject({
      name: 'Error',
      message: cause.message.replace(/eyJ\S+/, '[redacted]'),
    });
    expect((error as GateDenied).message).toContain("guard 'vault' failed");
    expect((error as GateDenied).message).not.toContain('eyJ');
  });

  it('validates arguments before any guard runs', async () => {
    const trail: string[] = [];
    const execute = vi.fn();
    const gate = createGate({ audit: false });
    const error = await gate
      .run(
        { tool: refundTool, args: { orderId: '', amount: -5 } },
        alice,
        [allowGuard('first', trail)],
        execute,
      )
      .catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENTS' });
    expect((error as GateDenied).details['issues']).toEqual([
      { path: 'orderId', message: expect.any(String) },
      { path: 'amount', message: expect.any(String) },
    ]);
    expect(trail).toEqual([]);
    expect(execute).not.toHaveBeenCalled();
  });

  it('hands guards and the tool the parsed arguments, not the raw ones', async () => {
    const tool = {
      name: 'count',
      schema: z.object({ n: z.coerce.number(), extra: z.string().default('x') }),
    };
    const seen: unknown[] = [];
    const gate = createGate({ audit: false });
    const guard = defineGuard<{ n: number; extra: string }>({
      name: 'inspect',
      kind: 'test',
      check: (context) => void seen.push(context.args, context.argsDigest),
    });
    const result = await gate.run({ tool, args: { n: '7' } }, alice, [guard], (args) => args.n * 2);
    expect(result).toBe(14);
    expect(seen).toEqual([{ n: 7, extra: 'x' }, digestArgs({ n: 7, extra: 'x' })]);
  });

  it('refuses arguments JSON cannot carry', async () => {
    const gate = createGate({ audit: false });
    await expect(
      gate.run({ tool: { name: 't' }, args: { n: Number.NaN } }, alice, [], vi.fn()),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
    });
  });

  it('denies NO_SESSION when there is no session', async () => {
    const execute = vi.fn();
    const gate = createGate({ audit: false });
    await expect(gate.run({ tool: { name: 't' }, args: {} }, undefined, [], execute)).rejects.toMatchObject({
      code: 'NO_SESSION',
    });
    expect(execute).not.toHaveBeenCalled();
  });

  it('takes the session from runWithSession, an explicit one first, and never from the arguments', async () => {
    const bob = createSession({ sub: 'bob' });
    const gate = createGate({ audit: false });
    const whoAmI = (_args: unknown, context: { session: { user: { sub: string } } }) =>
      context.session.user.sub;
    const spoofed = { sub: 'mallory', user: { sub: 'mallory' }, session: { user: { sub: 'mallory' } } };
    await runWithSession(alice, async () => {
      expect(await gate.run({ tool: { name: 't' }, args: spoofed }, undefined, [], whoAmI)).toBe('alice');
      expect(await gate.run({ tool: { name: 't' }, args: spoofed }, bob, [], whoAmI)).toBe('bob');
    });
  });

  it('never shows the tool the subject token', async () => {
    const gate = createGate({ audit: false });
    const view = await gate.run(
      { tool: { name: 't' }, args: {} },
      alice,
      [],
      (_args, context) => context.session,
    );
    expect(view.user.sub).toBe('alice');
    expect('subjectToken' in view).toBe(false);
    expect(JSON.stringify(view)).not.toContain('secret-at');
  });

  it('gives the tool the credentials guards attached, in context and through getCredential', async () => {
    const gate = createGate({ audit: false });
    const vaultGuard = defineGuard({
      name: 'vault',
      kind: 'vault',
      check: (context) =>
        context.setCredential('connection:calendar', `token-for-${context.session.user.sub}`),
    });
    const result = await gate.run(
      { tool: { name: 't' }, args: {} },
      alice,
      [vaultGuard],
      async (_args, context) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return [
          context.credentials.get('connection:calendar'),
          getCredential('connection:calendar'),
          currentCall()?.tool,
        ];
      },
    );
    expect(result).toEqual(['token-for-alice', 'token-for-alice', 't']);
    expect(() => getCredential('connection:calendar')).toThrow(/outside a gated tool call/);
    await expect(
      gate.run({ tool: { name: 't' }, args: {} }, alice, [], () => getCredential('missing')),
    ).rejects.toThrow(/no guard attached the credential 'missing'/);
  });

  it('denies when the call is aborted before a guard runs', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user left'));
    const execute = vi.fn();
    const gate = createGate({ audit: false });
    await expect(
      gate.run(
        { tool: { name: 't' }, args: {}, signal: controller.signal },
        alice,
        [allowGuard('g', [])],
        execute,
      ),
    ).rejects.toMatchObject({ code: 'GUARD_FAILED' });
    expect(execute).not.toHaveBeenCalled();
  });
});

describe('fail closed, edge cases', () => {
  it('does not run the tool when the call is aborted after the guards passed', async () => {
    const controller = new AbortController();
    const audit = memoryAudit();
    const execute = vi.fn();
    // The abort comes while the guard's allow is being recorded: after every guard passed, before the tool.
    const abortingSink: AuditSink = {
      write: async (event) => {
        await audit.write(event);
        if (event.outcome === 'allow') controller.abort(new Error('gone'));
      },
    };
    const gate = createGate({ audit: abortingSink });
    await expect(
      gate.run(
        { tool: { name: 't' }, args: {}, signal: controller.signal },
        alice,
        [allowGuard('g', [])],
        execute,
      ),
    ).rejects.toMatchObject({ code: 'GUARD_FAILED' });
    expect(execute).not.toHaveBeenCalled();
    expect(audit.events.map((event) => [event.phase, event.outcome])).toEqual([
      ['guard', 'allow'],
      ['execute', 'deny'],
    ]);
  });

  it('does not run a tool without guards on an aborted call', async () => {
    const execute = vi.fn();
    const gate = createGate({ audit: false });
    const signal = AbortSignal.abort(new Error('gone'));
    await expect(
      gate.run({ tool: { name: 't' }, args: {}, signal }, alice, [], execute),
    ).rejects.toMatchObject({
      code: 'GUARD_FAILED',
    });
    expect(execute).not.toHaveBeenCalled();
  });

  it('keeps the code of a denial or interrupt thrown by another installed copy of AgentGate', async () => {
    const foreign = Object.assign(new Error('connect your calendar'), {
      [Symbol.for('agentgate.error')]: true,
      code: 'CONNECTION_REQUIRED',
      details: {},
    });
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const guard = failingGuard('foreign-vault', [], () => foreign);
    const error = await gate
      .run({ tool: { name: 't' }, args: {} }, alice, [guard], vi.fn())
      .catch((thrown) => thrown);
    expect(error).toBe(foreign);
    expect(audit.events.at(-1)).toMatchObject({
      outcome: 'interrupt',
      code: 'CONNECTION_REQUIRED',
      guard: 'foreign-vault',
    });
  });

  it('denies GUARD_FAILED when a guard fails while recovering, and records the tool failure first', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const storeDown = new Error('store unreachable');
    const vault = defineGuard({
      name: 'vault(calendar)',
      kind: 'vault',
      check: () => {},
      recover: () => {
        throw storeDown;
      },
    });
    const execute = vi.fn(() => {
      throw new ConnectionTokenRejected('calendar');
    });
    const error = await gate
      .run({ tool: { name: 't' }, args: {} }, alice, [vault], execute)
      .catch((thrown) => thrown);
    expect(error).toMatchObject({ code: 'GUARD_FAILED', guard: 'vault(calendar)' });
    expect((error as GateDenied).cause).toMatchObject({ message: storeDown.message });
    expect(execute).toHaveBeenCalledTimes(1);
    expect(audit.events.map((event) => [event.outcome, event.code])).toEqual([
      ['allow', undefined],
      ['failed', 'CONNECTION_TOKEN_REJECTED'],
      ['deny', 'GUARD_FAILED'],
    ]);
  });

  it('lets no tool change whom the session acts for', async () => {
    const gate = createGate({ audit: false });
    const tamper = (
      _args: unknown,
      context: { session: { user: { sub: string }; roles: readonly string[] } },
    ) => {
      (context.session.user as { sub: string }).sub = 'mallory';
    };
    await expect(gate.run({ tool: { name: 't' }, args: {} }, alice, [], tamper)).rejects.toThrow(TypeError);
    const pushRole = (_args: unknown, context: { session: { roles: readonly string[] } }) => {
      (context.session.roles as string[]).push('admin');
    };
    await expect(gate.run({ tool: { name: 't' }, args: {} }, alice, [], pushRole)).rejects.toThrow(TypeError);
    expect(alice.user.sub).toBe('alice');
    const handBuilt = { ...alice, user: { sub: 'carol', iss: 'x' }, roles: ['member'] };
    await expect(gate.run({ tool: { name: 't' }, args: {} }, handBuilt, [], tamper)).rejects.toThrow(
      TypeError,
    );
    expect(handBuilt.user.sub).toBe('carol');
  });

  it('lets a guard annotate only approvalId, connection and reason', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const guard = defineGuard({
      name: 'sneaky',
      kind: 'test',
      check: (context) =>
        context.annotate({ approvalId: 'ap-1', sub: 'mallory', guard: 'other', outcome: 'deny' } as never),
    });
    await gate.run({ tool: { name: 't' }, args: {} }, alice, [guard], () => 1);
    expect(audit.events[0]).toMatchObject({
      sub: 'alice',
      guard: 'sneaky',
      outcome: 'allow',
      approvalId: 'ap-1',
    });
  });

  it('records a decision before a tool with no guards runs, and fails closed when it cannot', async () => {
    const audit = memoryAudit();
    await createGate({ audit }).run({ tool: { name: 't' }, args: {} }, alice, [], () => 1);
    expect(audit.events.map((event) => [event.phase, event.outcome])).toEqual([
      ['policy', 'allow'],
      ['execute', 'executed'],
    ]);
    const execute = vi.fn();
    const broken: AuditSink = {
      write: () => {
        throw new Error('disk full');
      },
    };
    await expect(
      createGate({ audit: broken }).run({ tool: { name: 't' }, args: {} }, alice, [], execute),
    ).rejects.toBeInstanceOf(AuditFailed);
    expect(execute).not.toHaveBeenCalled();
  });
});

describe('risk policy', () => {
  const wire = { name: 'wire_money', risk: 'high' as const };
  const approval: Guard<unknown> = defineGuard({ name: 'approval', kind: 'approval', check: () => {} });

  it('makes a high-risk tool without an approval guard impossible to create', () => {
    const gate = createGate({ audit: false });
    expect(() => gate.protect(wire, [allowGuard('scope', [], 'identity')], vi.fn())).toThrow(
      /high risk and the risk policy requires guards of kind: approval/,
    );
    expect(() => gate.protect(wire, [approval], vi.fn())).not.toThrow();
  });

  it('denies FORBIDDEN at run time too, before any guard', async () => {
    const trail: string[] = [];
    const execute = vi.fn();
    const gate = createGate({ audit: false });
    await expect(
      gate.run({ tool: wire, args: {} }, alice, [allowGuard('scope', trail)], execute),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { missingGuardKinds: ['approval'] },
    });
    expect(trail).toEqual([]);
    expect(execute).not.toHaveBeenCalled();
  });

  it('follows a custom policy per level', async () => {
    const gate = createGate({
      audit: false,
      riskPolicy: { medium: ['identity'], high: ['identity', 'approval'] },
    });
    expect(() => gate.assertPolicy({ name: 'm', risk: 'medium' }, [])).toThrow(/identity/);
    expect(() => gate.assertPolicy({ name: 'h', risk: 'high' }, [approval])).toThrow(/identity/);
    expect(() => gate.assertPolicy({ name: 'l' }, [])).not.toThrow();
  });

  it('protect() binds guards and runs through the same checks', async () => {
    const gate = createGate({ audit: false });
    const refund = gate.protect(refundTool, [failingGuard('deny', [], denyForbidden)], vi.fn());
    await expect(refund({ orderId: '1', amount: 1 }, { session: alice })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(() => gate.protect({ name: '' }, [], vi.fn())).toThrow(TypeError);
    expect(() => gate.protect({ name: 'x' }, [{ name: 'g' } as never], vi.fn())).toThrow(
      /name, kind and check/,
    );
  });
});

describe('connection token rejected', () => {
  function refreshingVault(issued: string[]) {
    let generation = 0;
    return defineGuard({
      name: 'vault(calendar)',
      kind: 'vault',
      check: (context) => {
        const token = `token-${++generation}`;
        issued.push(token);
        context.setCredential('connection:calendar', token);
      },
      recover: (_context, error) =>
        error instanceof ConnectionTokenRejected && error.connection === 'calendar',
    });
  }

  it('lets the issuing guard refresh and runs the tool once more', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const issued: string[] = [];
    const seen: string[] = [];
    const result = await gate.run(
      { tool: { name: 'list' }, args: {} },
      alice,
      [refreshingVault(issued)],
      () => {
        const token = getCredential<string>('connection:calendar');
        seen.push(token);
        if (token === 'token-1') throw new ConnectionTokenRejected('calendar');
        return 'events';
      },
    );
    expect(result).toBe('events');
    expect(seen).toEqual(['token-1', 'token-2']);
    expect(audit.events.map((event) => event.outcome)).toEqual(['allow', 'retry', 'allow', 'executed']);
  });

  it('retries only once, and not at all without a guard that recovers', async () => {
    const gate = createGate({ audit: false });
    const execute = vi.fn(() => {
      throw new ConnectionTokenRejected('calendar');
    });
    await expect(
      gate.run({ tool: { name: 'list' }, args: {} }, alice, [refreshingVault([])], execute),
    ).rejects.toBeInstanceOf(ConnectionTokenRejected);
    expect(execute).toHaveBeenCalledTimes(2);
    execute.mockClear();
    const audit = memoryAudit();
    const audited = createGate({ audit });
    await expect(audited.run({ tool: { name: 'list' }, args: {} }, alice, [], execute)).rejects.toThrow();
    expect(audit.events.map((event) => [event.phase, event.outcome, event.code])).toEqual([
      ['policy', 'allow', undefined],
      ['execute', 'failed', 'CONNECTION_TOKEN_REJECTED'],
    ]);
    execute.mockClear();
    await expect(gate.run({ tool: { name: 'list' }, args: {} }, alice, [], execute)).rejects.toBeInstanceOf(
      ConnectionTokenRejected,
    );
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('records an interrupt from the re-run guard as a decision, not as a failure of the tool', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    let runs = 0;
    const vault = defineGuard({
      name: 'vault(calendar)',
      kind: 'vault',
      check: (context) => {
        if (++runs > 1)
          throw new GateInterrupt('CONNECTION_REQUIRED', 'connect the calendar again', {
            details: { connection: 'calendar', requiredScopes: [] },
          });
        context.setCredential('connection:calendar', 'token-1');
      },
      recover: () => true,
    });
    const execute = vi.fn(() => {
      throw new ConnectionTokenRejected('calendar');
    });
    await expect(
      gate.run({ tool: { name: 'list' }, args: {} }, alice, [vault], execute),
    ).rejects.toMatchObject({
      code: 'CONNECTION_REQUIRED',
    });
    expect(execute).toHaveBeenCalledTimes(1);
    expect(audit.events.map((event) => [event.outcome, event.code])).toEqual([
      ['allow', undefined],
      ['retry', 'CONNECTION_TOKEN_REJECTED'],
      ['interrupt', 'CONNECTION_REQUIRED'],
    ]);
  });
});

describe('audit of gated calls', () => {
  it('records every decision and the outcome, chained, with the argument digest and no secret', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit, agent: { id: 'support-bot' } });
    const guard = defineGuard({
      name: 'approval',
      kind: 'approval',
      check: (context) => context.annotate({ approvalId: 'ap-1' }),
    });
    await gate.run(
      { tool: refundTool, args: { orderId: '9', amount: 5 }, callId: 'call-1' },
      alice,
      [guard],
      () => 'ok',
    );
    await expect(
      gate.run(
        { tool: refundTool, args: { orderId: '9', amount: 5 } },
        alice,
        [failingGuard('fga', [], denyForbidden)],
        vi.fn(),
      ),
    ).rejects.toThrow();
    const [allowed, executed, denied] = audit.events as [AuditEvent, AuditEvent, AuditEvent];
    expect(allowed).toMatchObject({
      phase: 'guard',
      guard: 'approval',
      outcome: 'allow',
      approvalId: 'ap-1',
      tool: 'refund',
      callId: 'call-1',
      sub: 'alice',
      tenant: 'acme',
      agent: 'support-bot',
      sessionId: alice.id,
      argsDigest: digestArgs({ orderId: '9', amount: 5 }),
    });
    expect(allowed).not.toHaveProperty('args');
    expect(executed).toMatchObject({ phase: 'execute', outcome: 'executed', callId: 'call-1' });
    expect(denied).toMatchObject({ phase: 'guard', guard: 'fga', outcome: 'deny', code: 'FORBIDDEN' });
    expect(verifyAuditChain(audit.events)).toMatchObject({ valid: true, count: 3 });
    expect(JSON.stringify(audit.events)).not.toContain('secret-at');
  });

  it('records failures of the tool with a redacted reason', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    await expect(
      gate.run({ tool: { name: 't' }, args: {} }, alice, [], () => {
        throw new Error('provider said access_token=abc.def rejected');
      }),
    ).rejects.toThrow();
    expect(audit.events.at(-1)).toMatchObject({ outcome: 'failed', code: 'TOOL_ERROR' });
    expect(audit.events.at(-1)?.reason).toBe('provider said access_token=[redacted] rejected');
  });

  it('records raw arguments only when asked, with secret fields redacted', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit, recordArgs: true });
    await gate.run(
      { tool: { name: 't' }, args: { to: 'bob', apiKey: 'k-123', nested: { password: 'p' } } },
      alice,
      [allowGuard('g', [])],
      () => 1,
    );
    expect(audit.events[0]?.args).toEqual({
      to: 'bob',
      apiKey: '[redacted]',
      nested: { password: '[redacted]' },
    });
  });

  it('fails closed when a decision cannot be recorded: the tool never runs', async () => {
    const sink: AuditSink = {
      write: () => {
        throw new Error('disk full');
      },
    };
    const execute = vi.fn();
    const gate = createGate({ audit: sink });
    await expect(
      gate.run({ tool: { name: 't' }, args: {} }, alice, [allowGuard('g', [])], execute),
    ).rejects.toBeInstanceOf(AuditFailed);
    expect(execute).not.toHaveBeenCalled();
    expect(gate.audit?.pending).toBe(1);
  });

  it('keeps a done call done when an audit log from another installed copy fails on its outcome', async () => {
    const foreignFailure = Object.assign(new Error('sink down'), {
      [Symbol.for('agentgate.error')]: true,
      code: 'AUDIT_FAILED',
    });
    let appends = 0;
    const foreignLog = {
      pending: 0,
      flush: async () => {},
      append: async (draft: object) => {
        if (++appends === 2) throw foreignFailure;
        return draft as AuditEvent;
      },
    };
    const failures: unknown[] = [];
    const gate = createGate({ audit: foreignLog, onAuditFailure: (error) => failures.push(error) });
    await expect(gate.run({ tool: { name: 't' }, args: {} }, alice, [], () => 'done')).resolves.toBe('done');
    expect(failures).toEqual([foreignFailure]);
  });

  it('keeps an outcome event that could not be stored and writes it before the next one', async () => {
    const stored: AuditEvent[] = [];
    let failNext = false;
    const sink: AuditSink = {
      write: (event) => {
        if (failNext) {
          failNext = false;
          throw new Error('transient');
        }
        stored.push(event);
      },
    };
    const failures: AuditFailed[] = [];
    const gate = createGate({ audit: sink, onAuditFailure: (error) => failures.push(error) });
    const result = await gate.run({ tool: { name: 't' }, args: {} }, alice, [allowGuard('g', [])], () => {
      failNext = true;
      return 'done';
    });
    expect(result).toBe('done');
    expect(failures).toHaveLength(1);
    expect(gate.audit?.pending).toBe(1);
    await gate.run({ tool: { name: 't' }, args: {} }, alice, [], () => 'again');
    expect(gate.audit?.pending).toBe(0);
    expect(stored.map((event) => event.outcome)).toEqual(['allow', 'executed', 'allow', 'executed']);
    expect(verifyAuditChain(stored).valid).toBe(true);
  });
});
