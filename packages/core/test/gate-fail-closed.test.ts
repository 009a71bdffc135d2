import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  createAuditLog,
  createGate,
  createSession,
  defineGuard,
  digestArgs,
  GateDenied,
  type GatedTool,
  GateInterrupt,
  type Guard,
  isAgentSession,
  isGateDenied,
  isGateInterrupt,
  MAX_ARGS_DEPTH,
  MemoryStore,
  memoryAudit,
  REDACTED,
  reviveGateError,
} from '../src/index';

const alice = createSession({ sub: 'alice', subjectToken: 'secret-at' });
const approval = (trail: string[] = []): Guard =>
  defineGuard({ name: 'approval', kind: 'approval', check: () => void trail.push('approval') });

describe('unknown risk levels', () => {
  it.each(['critical', 'HIGH', 'High', 'constructor', '__proto__', 7, null])(
    'refuses a tool declaring risk %j at protect, with a TypeError naming the levels',
    (risk) => {
      const gate = createGate({ audit: false });
      const tool = { name: 'wire_money', risk } as unknown as GatedTool;
      expect(() => gate.protect(tool, [approval()], vi.fn())).toThrow(TypeError);
      expect(() => gate.protect(tool, [approval()], vi.fn())).toThrow(/low, medium, high/);
    },
  );

  it.each(['critical', 'HIGH', 'constructor'])(
    'denies FORBIDDEN at run for risk %j, and the tool never runs',
    async (risk) => {
      const audit = memoryAudit();
      const gate = createGate({ audit });
      const execute = vi.fn();
      const tool = { name: 'wire_money', risk } as unknown as GatedTool;
      await expect(gate.run({ tool, args: {} }, alice, [], execute)).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: expect.stringMatching(/unknown risk/),
      });
      expect(execute).not.toHaveBeenCalled();
      expect(audit.events.map((event) => [event.phase, event.outcome, event.code])).toEqual([
        ['policy', 'deny', 'FORBIDDEN'],
      ]);
    },
  );
});

describe('the tool runs with exactly the digested arguments', () => {
  const transfer = {
    name: 'transfer',
    schema: z.object({ to: z.string(), amount: z.number() }),
  };

  it('a guard cannot change the arguments it was shown (they are frozen)', async () => {
    const gate = createGate({ audit: false });
    const execute = vi.fn(async (args: { to: string; amount: number }) => args.amount);
    const tampering = defineGuard<{ to: string; amount: number }>({
      name: 'tampering',
      kind: 'test',
      check: ({ args }) => {
        (args as { amount: number }).amount = 1_000_000;
      },
    });
    await expect(
      gate.run({ tool: transfer, args: { to: 'bob', amount: 5 } }, alice, [tampering], execute),
    ).rejects.toMatchObject({ code: 'GUARD_FAILED' });
    expect(execute).not.toHaveBeenCalled();
  });

  it('the caller changing its object while a guard awaits does not change what the tool receives', async () => {
    const gate = createGate({ audit: false });
    let release!: () => void;
    const waiting = new Promise<void>((resolve) => {
      release = resolve;
    });
    let seenDigest = '';
    const slowApproval = defineGuard({
      name: 'slow-approval',
      kind: 'approval',
      check: async ({ argsDigest }) => {
        seenDigest = argsDigest;
        await waiting;
      },
    });
    const received: unknown[] = [];
    // No schema: the gate must not hand the caller's own object to the tool.
    const raw = { to: 'bob', amount: 5, memo: { text: 'rent' } };
    const running = gate.run(
      { tool: { name: 'transfer' }, args: raw },
      alice,
      [slowApproval],
      async (args, context) => {
        received.push(structuredClone(args), context.argsDigest);
        return 'done';
      },
    );
    await vi.waitFor(() => expect(seenDigest).not.toBe(''));
    raw.amount = 1_000_000;
    raw.memo.text = 'all of it';
    release();
    await expect(running).resolves.toBe('done');
    expect(received).toEqual([{ to: 'bob', amount: 5, memo: { text: 'rent' } }, seenDigest]);
    expect(seenDigest).toBe(digestArgs({ to: 'bob', amount: 5, memo: { text: 'rent' } }));
  });

  it('a Date argument changed by a guard is caught by the digest check before the tool runs', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const execute = vi.fn();
    const tool = { name: 'schedule', schema: z.object({ at: z.date() }) };
    const shifting = defineGuard<{ at: Date }>({
      name: 'shifting',
      kind: 'test',
      check: ({ args }) => void args.at.setTime(0),
    });
    await expect(
      gate.run({ tool, args: { at: new Date('2026-12-24T10:00:00Z') } }, alice, [shifting], execute),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/changed after/) });
    expect(execute).not.toHaveBeenCalled();
    expect(audit.events.at(-1)).toMatchObject({ phase: 'execute', outcome: 'deny', code: 'FORBIDDEN' });
  });

  it('refuses arguments nested deeper than the bound as INVALID_ARGUMENTS, on record', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    let deep: unknown = 'x';
    for (let level = 0; level < MAX_ARGS_DEPTH + 5; level++) deep = [deep];
    const execute = vi.fn();
    await expect(gate.run({ tool: { name: 't' }, args: deep }, alice, [], execute)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
    });
    expect(execute).not.toHaveBeenCalled();
    expect(audit.events).toHaveLength(1);
  });
});

describe('thrown values that cannot be stringified', () => {
  const unprintable = () => [
    Object.create(null) as unknown,
    { toString: 'not a function' },
    {
      toString() {
        throw new Error('no');
      },
    },
    Symbol('odd'),
    Object.assign(new Error('x'), { message: Object.create(null) }),
    (() => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    })(),
    new Proxy(new Error('trap'), {
      get() {
        throw new Error('no reading');
      },
    }),
  ];

  it.each(unprintable().map((value, index) => [index, value] as const))(
    'a guard throwing unprintable value #%i is denied GUARD_FAILED, on record',
    async (_index, value) => {
      const audit = memoryAudit();
      const gate = createGate({ audit });
      const guard = defineGuard({
        name: 'odd',
        kind: 'test',
        check: () => {
          throw value;
        },
      });
      await expect(
        gate.run({ tool: { name: 't' }, args: {} }, alice, [guard], vi.fn()),
      ).rejects.toMatchObject({
        code: 'GUARD_FAILED',
      });
      expect(audit.events.map((event) => [event.phase, event.outcome])).toEqual([['guard', 'deny']]);
    },
  );

  it.each(unprintable().map((value, index) => [index, value] as const))(
    'a tool throwing unprintable value #%i rethrows it and its failure is on record',
    async (_index, value) => {
      const audit = memoryAudit();
      const gate = createGate({ audit });
      // Wrapped: resolving a promise with a hostile proxy would read its `then`.
      const outcome = await gate
        .run({ tool: { name: 't' }, args: {} }, alice, [], () => {
          throw value;
        })
        .then(
          () => ({ thrown: undefined }),
          (error: unknown) => ({ thrown: error }),
        );
      expect(outcome.thrown).toBe(value);
      expect(audit.events.map((event) => [event.phase, event.outcome, event.code])).toEqual([
        ['policy', 'allow', undefined],
        ['execute', 'failed', 'TOOL_ERROR'],
      ]);
    },
  );

  it('a schema whose validate throws an unprintable value denies INVALID_ARGUMENTS', async () => {
    const gate = createGate({ audit: memoryAudit() });
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: () => {
          throw Object.create(null);
        },
      },
    };
    await expect(
      gate.run({ tool: { name: 't', schema }, args: {} }, alice, [], vi.fn()),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
    });
  });
});

describe('recordArgs', () => {
  it('records an own __proto__ key as data, without touching any prototype', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit, recordArgs: true });
    const args = JSON.parse('{"__proto__": {"polluted": true}, "amount": 5}');
    await gate.run({ tool: { name: 't' }, args }, alice, [], () => 'ok');
    const recorded = audit.events[0]?.args as Record<string, unknown>;
    expect(Object.getOwnPropertyNames(recorded)).toEqual(['__proto__', 'amount']);
    expect(Object.getPrototypeOf(recorded)).toBe(Object.prototype);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('with deeply nested arrays, denies on record instead of crashing with a raw error', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit, recordArgs: true });
    let deep: unknown = 1;
    for (let level = 0; level < 5000; level++) deep = [deep];
    const execute = vi.fn();
    await expect(gate.run({ tool: { name: 't' }, args: deep }, alice, [], execute)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
    });
    expect(execute).not.toHaveBeenCalled();
    expect(audit.events.map((event) => [event.phase, event.outcome])).toEqual([['validate', 'deny']]);
  });

  it.each([
    'passwd',
    'pwd',
    'private_key',
    'privateKey',
    'otp',
    'pin',
    'cvv',
    'client_assertion',
    'x-api-key',
    'Authorization',
    'passphrase',
  ])('masks the field %s in the audit file', async (field) => {
    const audit = memoryAudit();
    const gate = createGate({ audit, recordArgs: true });
    await gate.run(
      { tool: { name: 't' }, args: { [field]: 'hunter2-value', amount: 5 } },
      alice,
      [],
      () => 'ok',
    );
    expect(audit.events[0]?.args).toEqual({ [field]: REDACTED, amount: 5 });
    expect(JSON.stringify(audit.events)).not.toContain('hunter2-value');
  });
});

describe('validation details reach the model redacted', () => {
  it('a schema error quoting a token is masked in details.issues (message and path) as in the message', async () => {
    const gate = createGate({ audit: false });
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: () => ({
          issues: [{ message: `expected a date, got '${jwt}'`, path: [jwt, 'when'] }],
        }),
      },
    };
    const error = await gate
      .run({ tool: { name: 't', schema }, args: {} }, alice, [], vi.fn())
      .catch((caught: unknown) => caught as GateDenied<'INVALID_ARGUMENTS'>);
    expect(error.code).toBe('INVALID_ARGUMENTS');
    expect(JSON.stringify(error.toJSON())).not.toContain(jwt);
    expect(error.message).not.toContain(jwt);
    expect(error.details.issues[0]?.message).toContain(REDACTED);
  });

  it('a schema that throws an error quoting a secret pair is masked in details too', async () => {
    const gate = createGate({ audit: false });
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: () => {
          throw new Error('cannot parse client_secret=shh-very-secret');
        },
      },
    };
    const error = await gate
      .run({ tool: { name: 't', schema }, args: {} }, alice, [], vi.fn())
      .catch((caught: unknown) => caught as GateDenied);
    expect(JSON.stringify(error.toJSON())).not.toContain('shh-very-secret');
  });

  it('every error masks secrets in the details its producer gave', () => {
    const error = new GateDenied('GUARD_FAILED', 'failed', {
      details: { upstream: 'Bearer abc.def.ghi', nested: [{ refresh_token: 'r-123456' }] },
    });
    expect(JSON.stringify(error.toJSON())).not.toMatch(/abc\.def|r-123456/);
    expect(Object.isFrozen(error.details)).toBe(true);
  });
});

describe('abort', () => {
  it('settles promptly when aborted while a guard ignores the signal, and the tool never runs', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const controller = new AbortController();
    let finishGuard!: () => void;
    const stubborn = defineGuard({
      name: 'stubborn',
      kind: 'test',
      check: () =>
        new Promise<void>((resolve) => {
          finishGuard = resolve;
        }),
    });
    const execute = vi.fn();
    const running = gate.run(
      { tool: { name: 't' }, args: {}, signal: controller.signal },
      alice,
      [stubborn],
      execute,
    );
    await vi.waitFor(() => expect(finishGuard).toBeTypeOf('function'));
    controller.abort(new Error('user left'));
    await expect(running).rejects.toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/aborted/),
    });
    expect(audit.events.map((event) => [event.phase, event.outcome])).toEqual([['guard', 'deny']]);
    // The guard finishing later changes nothing: no allow, no tool.
    finishGuard();
    await new Promise((resolve) => setImmediate(resolve));
    expect(execute).not.toHaveBeenCalled();
    expect(audit.events).toHaveLength(1);
  });
});

describe('createGate options', () => {
  it.each([
    [{ audit: false, agent: 'support-bot' }, /agent must be \{ id: string \}/],
    [{ audit: false, agent: { name: 'x' } }, /agent must be/],
    [{ audit: false, recordArgs: 'yes' }, /recordArgs must be a boolean/],
    [{ audit: false, onAuditFailure: 'log' }, /onAuditFailure must be a function/],
    [
      { audit: false, riskpolicy: { high: ['approval'] } },
      /unknown options\.riskpolicy \(did you mean riskPolicy\?\)/,
    ],
    [{ audit: false, riskPolicy: ['approval'] }, /riskPolicy must be an object/],
    [null, /audit is required/],
  ])('rejects %j with a TypeError', (options, message) => {
    expect(() => createGate(options as never)).toThrow(TypeError);
    expect(() => createGate(options as never)).toThrow(message);
  });

  it('keeps the agent it was given in every event', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit, agent: { id: 'support-bot' } });
    await gate.run({ tool: { name: 't' }, args: {} }, alice, [], () => 'ok');
    expect(audit.events.map((event) => event.agent)).toEqual(['support-bot', 'support-bot']);
  });

  it('a risk policy changed after creation does not loosen the gate', async () => {
    const riskPolicy = { high: ['approval'] };
    const gate = createGate({ audit: false, riskPolicy });
    riskPolicy.high = [];
    await expect(
      gate.run({ tool: { name: 't', risk: 'high' }, args: {} }, alice, [], vi.fn()),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('createSession and MemoryStore options', () => {
  it.each([
    [{ sub: 'a', scopes: 'calendar:read calendar:write' }, /scopes must be an array of strings \(split/],
    [{ sub: 'a', scope: ['calendar:read'] }, /unknown options\.scope \(did you mean scopes\?\)/],
    [{ sub: 'a', mode: 'batch' }, /mode must be/],
    [{ sub: 'a', agent: 'bot' }, /agent must be/],
    [{ sub: 'a', authTime: '1700000000' }, /authTime/],
    [{ sub: 'a', subjectToken: 42 }, /subjectToken/],
  ])('createSession rejects %j with a TypeError', (options, message) => {
    expect(() => createSession(options as never)).toThrow(message);
  });

  it('MemoryStore rejects an unknown option', () => {
    expect(() => new MemoryStore({ ttl: 5 } as never)).toThrow(/unknown options\.ttl; known: now/);
  });
});

describe('gate.close', () => {
  it('closes the log it built: a later call fails closed with AUDIT_FAILED and the tool never runs', async () => {
    const sink = memoryAudit();
    const gate = createGate({ audit: sink });
    await gate.run({ tool: { name: 't' }, args: {} }, alice, [], () => 'ok');
    await gate.close();
    await gate.close();
    const execute = vi.fn();
    await expect(gate.run({ tool: { name: 't' }, args: {} }, alice, [], execute)).rejects.toMatchObject({
      code: 'AUDIT_FAILED',
    });
    expect(execute).not.toHaveBeenCalled();
    expect(sink.events).toHaveLength(2);
  });

  it('only flushes a log the caller passed in, which stays usable for others', async () => {
    const sink = memoryAudit();
    const log = createAuditLog({ sink });
    const gate = createGate({ audit: log });
    await gate.run({ tool: { name: 't' }, args: {} }, alice, [], () => 'ok');
    await gate.close();
    await expect(gate.run({ tool: { name: 't' }, args: {} }, alice, [], () => 'ok')).rejects.toMatchObject({
      code: 'AUDIT_FAILED',
    });
    const other = createGate({ audit: log });
    await expect(other.run({ tool: { name: 't' }, args: {} }, alice, [], () => 'ok')).resolves.toBe('ok');
    expect(sink.events).toHaveLength(4);
  });

  it('waits for a call in flight, whose outcome is stored before the log closes', async () => {
    const sink = memoryAudit();
    const gate = createGate({ audit: sink });
    let release!: () => void;
    const slow = defineGuard({
      name: 'slow',
      kind: 'test',
      check: () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    });
    const running = gate.run({ tool: { name: 'transfer' }, args: {} }, alice, [slow], () => 'TRANSFERRED');
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));
    const closing = gate.close();
    await expect(gate.run({ tool: { name: 't' }, args: {} }, alice, [], vi.fn())).rejects.toMatchObject({
      code: 'AUDIT_FAILED',
    });
    release();
    await expect(running).resolves.toBe('TRANSFERRED');
    await closing;
    expect(sink.events.map((event) => [event.phase, event.outcome])).toEqual([
      ['guard', 'allow'],
      ['execute', 'executed'],
    ]);
  });
});

describe('review: arguments the digest and the tool could see differently', () => {
  it('an object whose toJSON shows the digest a smaller amount gives the tool exactly what was digested', async () => {
    const gate = createGate({ audit: false });
    const received: unknown[] = [];
    let digest = '';
    const seeing = defineGuard({
      name: 'sees',
      kind: 'test',
      check: ({ argsDigest }) => {
        digest = argsDigest;
      },
    });
    await gate.run(
      { tool: { name: 'transfer' }, args: { amount: 1000, toJSON: () => ({ amount: 1 }) } },
      alice,
      [seeing],
      (args) => void received.push(args),
    );
    expect(received).toEqual([{ amount: 1 }]);
    expect(digest).toBe(digestArgs({ amount: 1 }));
  });

  it('a schema that returns its own input cannot leave the caller an object to change before the snapshot', async () => {
    const gate = createGate({ audit: false });
    const raw = { amount: 5 };
    const passthrough = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: async (value: unknown) => {
          // The caller's chance to change its object while validation awaits.
          await Promise.resolve();
          raw.amount = 1_000_000;
          return { value };
        },
      },
    };
    const received: unknown[] = [];
    await gate.run(
      { tool: { name: 't', schema: passthrough }, args: raw },
      alice,
      [],
      (args) => void received.push(args),
    );
    expect(received).toEqual([{ amount: 5 }]);
  });

  it('a Date a guard keeps and changes later cannot reach the tool', async () => {
    const gate = createGate({ audit: false });
    let kept: Date | undefined;
    const keeping = defineGuard<{ at: Date }>({
      name: 'keeps',
      kind: 'test',
      check: ({ args }) => {
        kept = args.at;
      },
    });
    const seen: string[] = [];
    await gate.run(
      {
        tool: { name: 'schedule', schema: z.object({ at: z.date() }) },
        args: { at: new Date('2026-12-24T10:00:00Z') },
      },
      alice,
      [keeping],
      async (args) => {
        kept?.setTime(0);
        seen.push(args.at.toISOString());
      },
    );
    expect(seen).toEqual(['2026-12-24T10:00:00.000Z']);
  });

  it('refuses arguments holding more values than the bound, on record', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const sparse: unknown[] = [];
    sparse.length = 50_000_000;
    await expect(
      gate.run({ tool: { name: 't' }, args: { sparse } }, alice, [], vi.fn()),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
      message: expect.stringMatching(/more than/),
    });
    expect(audit.events).toHaveLength(1);
  });
});

describe('review: every path ends in a typed error on record', () => {
  const denial = Object.freeze(new GateDenied('FORBIDDEN', 'shared refusal'));

  it('a frozen denial is thrown as a copy named for the guard that threw it', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const guard = defineGuard({
      name: 'frozen',
      kind: 'test',
      check: () => {
        throw denial;
      },
    });
    await expect(gate.run({ tool: { name: 't' }, args: {} }, alice, [guard], vi.fn())).rejects.toMatchObject({
      code: 'FORBIDDEN',
      guard: 'frozen',
    });
    expect(audit.events[0]).toMatchObject({ outcome: 'deny', guard: 'frozen' });
  });

  it('a denial shared by two guards is recorded and thrown for the guard that threw it', async () => {
    const shared = new GateDenied('FORBIDDEN', 'not today');
    const throwing = (name: string) =>
      defineGuard({
        name,
        kind: 'test',
        check: () => {
          throw shared;
        },
      });
    const audit = memoryAudit();
    const gate = createGate({ audit });
    await expect(
      gate.run({ tool: { name: 't' }, args: {} }, alice, [throwing('a')], vi.fn()),
    ).rejects.toMatchObject({
      guard: 'a',
    });
    await expect(
      gate.run({ tool: { name: 't' }, args: {} }, alice, [throwing('b')], vi.fn()),
    ).rejects.toMatchObject({
      guard: 'b',
    });
    expect(audit.events.map((event) => event.guard)).toEqual(['a', 'b']);
  });

  it.each([
    ['a guard whose name is a symbol', { name: Symbol('x'), kind: 'k', check: () => {} }],
    ['a guard without check', { name: 'g', kind: 'k' }],
  ])('denies FORBIDDEN on record for %s given to run()', async (_label, guard) => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const execute = vi.fn();
    await expect(
      gate.run({ tool: { name: 't' }, args: {} }, alice, [guard as unknown as Guard], execute),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(execute).not.toHaveBeenCalled();
    expect(audit.events).toHaveLength(1);
  });

  it('guards that are not an array deny FORBIDDEN on record, never a raw TypeError', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const execute = vi.fn();
    await expect(
      gate.run({ tool: { name: 't' }, args: {} }, alice, { length: 1 } as unknown as Guard[], execute),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(execute).not.toHaveBeenCalled();
    expect(audit.events).toHaveLength(1);
  });

  it('a session without a user is no session, on record', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    await expect(
      gate.run({ tool: { name: 't' }, args: {} }, { id: 's' } as never, [], vi.fn()),
    ).rejects.toMatchObject({ code: 'NO_SESSION', message: expect.stringMatching(/malformed/) });
    expect(audit.events).toHaveLength(1);
  });

  it('a hand-built session missing a field is refused on record before any guard, naming the field', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const guard = vi.fn();
    const execute = vi.fn();
    const { roles: _roles, ...withoutRoles } = createSession({ sub: 'alice' });
    const throwing = Object.defineProperty({ ...createSession({ sub: 'alice' }) }, 'scopes', {
      get() {
        throw new Error('no scopes here');
      },
    });
    for (const [session, named] of [
      [withoutRoles, /roles must be an array of strings/],
      [{ ...createSession({ sub: 'alice' }), mode: 'batch' }, /mode must be/],
      [throwing, /reading it threw/],
    ] as const) {
      await expect(
        gate.run(
          { tool: { name: 't' }, args: {} },
          session as never,
          [defineGuard({ name: 'g', kind: 'noop', check: guard })],
          execute,
        ),
      ).rejects.toMatchObject({ code: 'NO_SESSION', message: expect.stringMatching(named) });
    }
    expect(guard).not.toHaveBeenCalled();
    expect(execute).not.toHaveBeenCalled();
    expect(audit.events.map((event) => [event.phase, event.outcome, event.code])).toEqual([
      ['session', 'deny', 'NO_SESSION'],
      ['session', 'deny', 'NO_SESSION'],
      ['session', 'deny', 'NO_SESSION'],
    ]);
    expect(audit.events.every((event) => event.sub === undefined)).toBe(true);
  });

  it('isAgentSession accepts what createSession builds and nothing missing a field, and never throws', () => {
    const session = createSession({ sub: 'alice', tenant: 'acme', amr: ['pwd'], agent: { id: 'bot' } });
    expect(isAgentSession(session)).toBe(true);
    expect(isAgentSession({ ...session })).toBe(true);
    for (const broken of [
      undefined,
      null,
      'alice',
      { ...session, id: '' },
      { ...session, user: { sub: 'alice' } },
      { ...session, scopes: 'a b' },
      { ...session, amr: [1] },
      { ...session, agent: { name: 'bot' } },
      { ...session, subjectToken: 'token' },
      new Proxy(
        {},
        {
          get() {
            throw new Error('hostile');
          },
        },
      ),
    ]) {
      expect(isAgentSession(broken)).toBe(false);
    }
  });

  it('a callId that is not a string is a TypeError before anything runs', async () => {
    const gate = createGate({ audit: false });
    await expect(
      gate.run({ tool: { name: 't' }, args: {}, callId: 1n as never }, alice, [], vi.fn()),
    ).rejects.toThrow(TypeError);
  });

  it.each([
    ['a null path segment', [{ message: 'bad', path: [null] }]],
    ['a null issue', [null]],
    ['issues that are not an array', 'nope'],
  ])('schema issues with %s still deny INVALID_ARGUMENTS', async (_label, issues) => {
    const gate = createGate({ audit: memoryAudit() });
    const schema = {
      '~standard': { version: 1 as const, vendor: 'test', validate: () => ({ issues }) as never },
    };
    await expect(
      gate.run({ tool: { name: 't', schema }, args: {} }, alice, [], vi.fn()),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
    });
  });

  it('an audit clock that returns an invalid date fails closed with AUDIT_FAILED, and nothing runs', async () => {
    const gate = createGate({ audit: memoryAudit(), now: () => new Date(Number.NaN) });
    const execute = vi.fn();
    await expect(gate.run({ tool: { name: 't' }, args: {} }, alice, [], execute)).rejects.toMatchObject({
      code: 'AUDIT_FAILED',
    });
    expect(execute).not.toHaveBeenCalled();
  });

  it('a tool throwing an error-like object whose code getter throws still has its failure on record', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit });
    const hostile = {
      [Symbol.for('agentgate.error')]: true,
      get code(): string {
        throw new Error('no code');
      },
      message: 'hostile',
    };
    const outcome = await gate
      .run({ tool: { name: 't' }, args: {} }, alice, [], () => {
        throw hostile;
      })
      .then(
        () => 'resolved',
        (error: unknown) => error,
      );
    expect(outcome).toBe(hostile);
    expect(audit.events.at(-1)).toMatchObject({ outcome: 'failed', code: 'TOOL_ERROR' });
  });

  it('a guard that returns false (or anything) does not allow', async () => {
    const gate = createGate({ audit: false });
    const execute = vi.fn();
    const returnsFalse = { name: 'says-no', kind: 'test', check: () => false } as unknown as Guard;
    await expect(
      gate.run({ tool: { name: 't' }, args: {} }, alice, [returnsFalse], execute),
    ).rejects.toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/returned false/),
    });
    expect(execute).not.toHaveBeenCalled();
  });

  it('createGate({ audit: undefined }) is a TypeError that says what to pass', () => {
    expect(() => createGate({ audit: undefined } as never)).toThrow(/options.audit is required/);
  });
});

describe('review: type guards narrow only what can be read', () => {
  it.each([
    [
      'CONNECTION_REQUIRED without details',
      { kind: 'interrupt', code: 'CONNECTION_REQUIRED', message: 'm', details: {} },
    ],
    [
      'STEP_UP_REQUIRED with no authorizationParams',
      { kind: 'interrupt', code: 'STEP_UP_REQUIRED', message: 'm', details: {} },
    ],
    ['an interrupt with no details at all', { kind: 'interrupt', code: 'APPROVAL_PENDING', message: 'm' }],
  ])('isGateInterrupt refuses %s', (_label, json) => {
    expect(isGateInterrupt(json)).toBe(false);
    expect(reviveGateError(json)).toBeUndefined();
  });

  it('isGateDenied refuses INSUFFICIENT_SCOPE JSON without its scope lists, accepts it with them', () => {
    const json = { kind: 'denied', code: 'INSUFFICIENT_SCOPE', message: 'm', details: {} };
    expect(isGateDenied(json)).toBe(false);
    expect(isGateDenied({ ...json, details: { missing: ['a'], required: ['a'] } })).toBe(true);
  });

  it('the gate still treats a decision without its details as a decision (fail closed by code)', async () => {
    const gate = createGate({ audit: false });
    const bare = defineGuard({
      name: 'bare',
      kind: 'test',
      check: () => {
        throw new GateInterrupt('CONNECTION_REQUIRED', 'connect', {} as never);
      },
    });
    await expect(gate.run({ tool: { name: 't' }, args: {} }, alice, [bare], vi.fn())).rejects.toMatchObject({
      code: 'CONNECTION_REQUIRED',
    });
  });
});

describe('review: over-redaction that would break users', () => {
  it('scope strings in details stay readable (the connect flow needs them)', () => {
    const error = new GateInterrupt('CONNECTION_REQUIRED', 'connect', {
      details: {
        connection: 'vault',
        requiredScopes: ['secrets:read', 'tokens:write', 'credentials:list'],
        authorizationParams: { scope: 'openid tokens:read' },
      },
    });
    expect(error.details.requiredScopes).toEqual(['secrets:read', 'tokens:write', 'credentials:list']);
    expect(error.details.authorizationParams).toEqual({ scope: 'openid tokens:read' });
  });

  it('token counts and page cursors stay readable in recorded arguments', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit, recordArgs: true });
    const args = { max_tokens: 100, prompt_tokens: 5, next_page_token: 'p2', access_key_id: 'id-1' };
    await gate.run({ tool: { name: 't' }, args }, alice, [], () => 'ok');
    expect(audit.events[0]?.args).toEqual(args);
  });
});

describe('review: options that are legitimate', () => {
  it('accepts a risk policy entry left undefined, and a fractional authTime', () => {
    expect(() =>
      createGate({ audit: false, riskPolicy: { high: ['approval'], medium: undefined } }),
    ).not.toThrow();
    expect(createSession({ sub: 'a', authTime: 1_700_000_000.5 }).authTime).toBe(1_700_000_000.5);
  });
});
