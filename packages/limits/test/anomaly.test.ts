import {
  type AgentSession,
  createGate,
  createSession,
  defineGuard,
  GateDenied,
  GateInterrupt,
  type Guard,
  MemoryLimitStore,
  MemoryStore,
  memoryAudit,
  type Store,
} from '@agentgate/core';
import { describe, expect, it, test } from 'vitest';
import { type AnomalyOptions, type AnomalyResponse, anomaly } from '../src/index';
import { recordedFacts } from './support/recorded-facts';

interface Args {
  orderId: string;
  amount: number;
}

const STALE_LOGIN = Date.UTC(2026, 2, 1) / 1000;
const alice = createSession({
  sub: 'alice',
  tenant: 'acme',
  agent: { id: 'support-bot' },
  authTime: STALE_LOGIN,
});

/** A clock at 10:00 UTC on a Monday, a memory store that remembers the last baseline written, and a gate. */
function setup(overrides: Partial<AnomalyOptions<Args>> = {}, response: AnomalyResponse = 'deny') {
  let now = Date.UTC(2026, 2, 2, 10, 0, 0);
  const clock = () => now;
  const memory = new MemoryStore({ now: clock });
  const written: unknown[] = [];
  const store: Store = {
    get: (key) => memory.get(key),
    put: async (key, value, options) => {
      written.push(structuredClone(value));
      await memory.put(key, value, options);
    },
    add: (key, value, options) => memory.add(key, value, options),
    delete: (key) => memory.delete(key),
    take: (key) => memory.take(key),
  };
  const guard = anomaly<Args>({
    store,
    counters: new MemoryLimitStore({ now: clock }),
    rules: {
      rate: { windowSeconds: 60, factor: 3, minimum: 10 },
      newTool: true,
      timeOfDay: { toleranceHours: 1 },
      magnitude: { value: ({ args }) => args.amount, factor: 3 },
    },
    response,
    learningCalls: 20,
    now: clock,
    ...overrides,
  });
  const audit = memoryAudit();
  const gate = createGate({ audit });
  const ran: string[] = [];
  const call = (
    options: { tool?: string; amount?: number; session?: AgentSession; guards?: Guard<Args>[] } = {},
  ) =>
    gate
      .run(
        { tool: { name: options.tool ?? 'refund' }, args: { orderId: 'o-1', amount: options.amount ?? 100 } },
        options.session ?? alice,
        (options.guards ?? [guard]) as Guard[],
        async () => {
          ran.push(options.tool ?? 'refund');
          return 'done';
        },
      )
      .then(
        () => 'ran' as const,
        (error: unknown) => error as GateDenied | GateInterrupt,
      );
  /** `count` usual calls: one a minute from now, amounts 100 and 50, tool `refund`. */
  const train = async (count: number) => {
    for (let index = 0; index < count; index++) {
      expect(await call({ amount: index % 2 === 0 ? 100 : 50 })).toBe('ran');
      now += 60_000;
    }
  };
  const lastGuardEvent = () => audit.events.filter((event) => event.phase === 'guard').at(-1);
  return {
    guard,
    call,
    train,
    ran,
    audit,
    written,
    lastGuardEvent,
    at: (ms: number) => {
      now = ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    now: clock,
  };
}

describe('anomaly: baseline building', () => {
  it('learns for learningCalls calls without judging, then keeps a small baseline of counts', async () => {
    const { call, train, written, lastGuardEvent, advance } = setup();
    // Even a wildly unusual call only teaches while learning.
    expect(await call({ amount: 1_000_000, tool: 'refund' })).toBe('ran');
    advance(60_000);
    expect(lastGuardEvent()).toMatchObject({
      outcome: 'allow',
      reason: 'learning: 1 of 20 calls in the baseline',
    });
    await train(19);
    expect(lastGuardEvent()?.reason).toBe('learning: 20 of 20 calls in the baseline');
    const baseline = written.at(-1) as Record<string, unknown>;
    expect(baseline).toMatchObject({
      v: 1,
      calls: 20,
      tools: [['refund', 20]],
      magnitude: { count: 20, max: 1_000_000 },
    });
    const hours = baseline.hours as number[];
    expect(hours[10]).toBe(20);
    expect(hours.reduce((sum, count) => sum + count, 0)).toBe(20);
    // One call per minute: 19 completed windows of one call each, and the current one.
    expect(baseline.rate).toMatchObject({ windows: 19, total: 19, count: 1 });
    // No argument values other than magnitudes, and no user id.
    expect(JSON.stringify(baseline)).not.toContain('o-1');
    expect(JSON.stringify(baseline)).not.toContain('alice');
  });

  it('keeps one baseline per user and agent', async () => {
    const { call, train, lastGuardEvent } = setup();
    await train(20);
    expect(await call({ tool: 'delete_account' })).toMatchObject({ code: 'FORBIDDEN' });
    const otherAgent = createSession({ sub: 'alice', tenant: 'acme', agent: { id: 'billing-bot' } });
    expect(await call({ tool: 'delete_account', session: otherAgent })).toBe('ran');
    expect(lastGuardEvent()?.reason).toMatch(/^learning: 1 of 20/);
    const bob = createSession({ sub: 'bob', tenant: 'acme', agent: { id: 'support-bot' } });
    expect(await call({ tool: 'delete_account', session: bob })).toBe('ran');
  });
});

describe('anomaly: usual traffic', () => {
  it('never fires on calls like the baseline', async () => {
    const { call, train, advance, ran, lastGuardEvent } = setup();
    await train(20);
    const before = ran.length;
    // 60 more: within the hours seen (10:20 to 11:20), amounts up to 3× the largest, a few calls a minute.
    for (let index = 0; index < 60; index++) {
      expect(await call({ amount: index % 2 === 0 ? 300 : 20 })).toBe('ran');
      expect(lastGuardEvent()).toMatchObject({ outcome: 'allow', reason: 'usual for this user and agent' });
      advance(index % 3 === 2 ? 60_000 : 1_000);
    }
    expect(ran.length - before).toBe(60);
  });
});

describe('anomaly: each rule', () => {
  it('rate: fires above max(minimum, factor × the usual calls per window)', async () => {
    const { call, train } = setup();
    await train(20); // one call a minute: usual rate 1, threshold max(10, 3) = 10
    const outcomes = [];
    for (let index = 0; index < 12; index++) outcomes.push(await call());
    expect(outcomes.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => 'ran'));
    expect(outcomes[10]).toMatchObject({
      code: 'FORBIDDEN',
      guard: 'anomaly',
      details: { anomaly: ['rate'] },
      message:
        "'refund' is unusual for this user and agent: rate: 11 calls in 60s, above 10 (3× the usual 1, at least 10)",
    });
    expect(outcomes[11]).toMatchObject({ details: { anomaly: ['rate'] } });
  });

  it('new-tool: fires for a tool this user and agent never called', async () => {
    const { call, train } = setup();
    await train(20);
    expect(await call({ tool: 'delete_account' })).toMatchObject({
      code: 'FORBIDDEN',
      details: { anomaly: ['new-tool'] },
      message: expect.stringMatching(/new-tool: 'delete_account' was never called by this user and agent/),
    });
  });

  it('time-of-day: fires for an hour with no calls within the tolerance', async () => {
    const { call, train, at } = setup();
    await train(20); // 10:00 – 10:19 UTC
    at(Date.UTC(2026, 2, 3, 11, 30)); // within 10:00 ± 1 h
    expect(await call()).toBe('ran');
    at(Date.UTC(2026, 2, 3, 13, 5)); // nothing between 12:00 and 15:00 (11:xx has one call now, 1 h away is 12)
    expect(await call()).toMatchObject({
      details: { anomaly: ['time-of-day'] },
      message: expect.stringMatching(/time-of-day: no calls between 12:00 and 15:00 UTC in the baseline/),
    });
    at(Date.UTC(2026, 2, 4, 3, 0));
    expect(await call()).toMatchObject({ details: { anomaly: ['time-of-day'] } });
  });

  it('magnitude: fires above factor × the largest magnitude, and says so without the value', async () => {
    const { call, train, audit } = setup();
    await train(20); // largest 100
    expect(await call({ amount: 300 })).toBe('ran');
    const error = await call({ amount: 5_000 });
    expect(error).toMatchObject({
      code: 'FORBIDDEN',
      details: { anomaly: ['magnitude'] },
      // 300 was usual, but the bar is still the largest learned (100): a usual call never raises it.
      message: expect.stringMatching(/magnitude: 50× the largest in the baseline \(at most 3× is usual\)/),
    });
    expect(JSON.stringify((error as GateDenied).toJSON())).not.toContain('5000');
    expect(recordedFacts(audit.events.at(-1))).not.toContain('5000');
  });

  it('magnitude: cannot be walked up factor× per call by usual calls (no cheap baseline poisoning)', async () => {
    const { call, train, advance, written } = setup();
    await train(20); // largest 100
    // Each step is within 3× of the step before: without the cap, 300 → 900 → 2,700 would each be usual.
    expect(await call({ amount: 300 })).toBe('ran');
    advance(60_000);
    expect(await call({ amount: 900 })).toMatchObject({
      code: 'FORBIDDEN',
      details: { anomaly: ['magnitude'] },
    });
    // Twenty more usual calls at the edge still leave the bar where learning put it.
    for (let index = 0; index < 20; index++) {
      expect(await call({ amount: 300 })).toBe('ran');
      advance(60_000);
    }
    expect(await call({ amount: 301 })).toMatchObject({ details: { anomaly: ['magnitude'] } });
    expect(written.at(-1)).toMatchObject({ calls: 41, magnitude: { count: 41, max: 100 } });
  });

  it('reports every rule that fired, each with its reason, in the audit event', async () => {
    const { call, train, at, audit } = setup();
    await train(20);
    at(Date.UTC(2026, 2, 3, 2, 0));
    const error = await call({ tool: 'wire_transfer', amount: 9_999 });
    expect(error).toMatchObject({ details: { anomaly: ['new-tool', 'time-of-day', 'magnitude'] } });
    const event = audit.events.at(-1);
    expect(event).toMatchObject({ phase: 'guard', outcome: 'deny', guard: 'anomaly', code: 'FORBIDDEN' });
    expect(event?.reason).toMatch(/new-tool: .*; time-of-day: .*; magnitude: /);
  });

  it('does not learn from a call it refused', async () => {
    const { call, train } = setup();
    await train(20);
    expect(await call({ tool: 'delete_account' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await call({ tool: 'delete_account' })).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('anomaly: each response', () => {
  it("'deny': FORBIDDEN, audited with the reason", async () => {
    const { call, train, lastGuardEvent } = setup({}, 'deny');
    await train(20);
    expect(await call({ amount: 1_000 })).toBeInstanceOf(GateDenied);
    expect(lastGuardEvent()).toMatchObject({
      outcome: 'deny',
      code: 'FORBIDDEN',
      reason: expect.stringMatching(/magnitude:/),
    });
  });

  it("'step-up': STEP_UP_REQUIRED with max_age; accepted after a fresh login, which then joins the baseline", async () => {
    const { call, train, now, lastGuardEvent } = setup(
      { stepUp: { maxAgeSeconds: 120, acr: 'loa2' } },
      'step-up',
    );
    await train(20);
    const interrupt = await call({ amount: 1_000 });
    expect(interrupt).toBeInstanceOf(GateInterrupt);
    expect(interrupt).toMatchObject({
      code: 'STEP_UP_REQUIRED',
      details: {
        anomaly: ['magnitude'],
        maxAgeSeconds: 120,
        authorizationParams: { max_age: '120', acr_values: 'loa2' },
      },
    });
    expect(lastGuardEvent()).toMatchObject({
      outcome: 'interrupt',
      code: 'STEP_UP_REQUIRED',
      reason: expect.stringMatching(/magnitude/),
    });
    // Fresh, but at the wrong level: still interrupted.
    const freshLow = createSession({
      sub: 'alice',
      tenant: 'acme',
      agent: { id: 'support-bot' },
      authTime: Math.floor(now() / 1000) - 30,
      acr: 'loa1',
    });
    expect(await call({ amount: 1_000, session: freshLow })).toMatchObject({ code: 'STEP_UP_REQUIRED' });
    const fresh = createSession({
      sub: 'alice',
      tenant: 'acme',
      agent: { id: 'support-bot' },
      authTime: Math.floor(now() / 1000) - 30,
      acr: 'loa2',
    });
    expect(await call({ amount: 1_000, session: fresh })).toBe('ran');
    expect(lastGuardEvent()?.reason).toMatch(/^unusual, accepted after a fresh login: magnitude:/);
    // 1,000 is now the largest in the baseline: the stale session may send it again.
    expect(await call({ amount: 1_000 })).toBe('ran');
  });

  it("'approval': hands the call to an approval guard whose when() reads requiresApproval", async () => {
    const { guard, call, train, lastGuardEvent, audit } = setup({}, 'approval');
    // Stands in for `approvals.guard({ when })` of @agentgate/approval: it asks `when({ args, session })` and, when
    // true, interrupts with APPROVAL_PENDING.
    const asked: boolean[] = [];
    const approval = defineGuard<Args>({
      name: 'approval(in-app)',
      kind: 'approval',
      async check({ args, session }) {
        const input = { args, session };
        const needed = await guard.requiresApproval(input);
        asked.push(needed);
        if (needed)
          throw new GateInterrupt('APPROVAL_PENDING', 'waiting for the user', {
            details: { approvalId: 'a-1' },
          });
      },
    });
    await train(20);
    expect(await call({ guards: [guard, approval] })).toBe('ran');
    const pending = await call({ amount: 2_000, guards: [guard, approval] });
    expect(pending).toMatchObject({ code: 'APPROVAL_PENDING', guard: 'approval(in-app)' });
    expect(asked).toEqual([false, true]);
    const events = audit.events.filter((event) => event.phase === 'guard').slice(-2);
    expect(events[0]).toMatchObject({
      guard: 'anomaly',
      outcome: 'allow',
      reason: expect.stringMatching(/^unusual, approval required: magnitude:/),
    });
    expect(events[1]).toMatchObject({ guard: 'approval(in-app)', outcome: 'interrupt' });
    expect(lastGuardEvent()?.code).toBe('APPROVAL_PENDING');
  });

  it("'approval': fails closed when the approval guard comes first (no verdict to read)", async () => {
    const { guard, call, train } = setup({}, 'approval');
    const approval = defineGuard<Args>({
      name: 'approval(in-app)',
      kind: 'approval',
      check: ({ args, session }) => {
        const input = { args, session };
        if (guard.requiresApproval(input)) throw new GateInterrupt('APPROVAL_PENDING', 'pending');
      },
    });
    await train(20);
    expect(await call({ guards: [approval, guard] })).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/list the anomaly guard before the approval guard/),
    });
  });

  it('a rule’s own response wins when stronger: deny over approval over step-up', async () => {
    const { call, train } = setup(
      {
        rules: {
          newTool: { response: 'step-up' },
          magnitude: { value: ({ args }) => args.amount, response: 'deny' },
        },
      },
      'approval',
    );
    await train(20);
    expect(await call({ tool: 'refund_all' })).toMatchObject({ code: 'STEP_UP_REQUIRED' });
    expect(await call({ tool: 'refund_all', amount: 10_000 })).toMatchObject({
      code: 'FORBIDDEN',
      details: { anomaly: ['new-tool', 'magnitude'] },
    });
  });
});

describe('anomaly: fails closed', () => {
  it('denies GUARD_FAILED when the store fails (there is no fail-open)', async () => {
    const failing: Store = {
      get: async () => {
        throw new Error('Redis is unreachable (connect ECONNREFUSED 10.0.0.7:6379)');
      },
      put: async () => {},
      add: async () => true,
      delete: async () => true,
      take: async () => undefined,
    };
    const { call } = setup({ store: failing });
    const denied = await call();
    expect(denied).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/the baseline store failed \(an unexpected error\)/),
    });
    expect(JSON.stringify(denied)).not.toContain('10.0.0.7');
    expect(() => setup({ onStoreError: 'allow' } as never)).toThrow(/unknown options\.onStoreError/);
  });

  it('words a store bug (a TypeError) like any store failure: its message never reaches the denial', async () => {
    const broken: Store = {
      get: async () => {
        throw new TypeError('fetch failed: connect ECONNREFUSED 10.0.0.7:8079');
      },
      put: async () => {},
      add: async () => true,
      delete: async () => true,
      take: async () => undefined,
    };
    const denied = await setup({ store: broken }).call();
    expect(denied).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/the baseline store failed \(an unexpected error\)/),
    });
    expect(JSON.stringify(denied)).not.toContain('10.0.0.7');
  });

  it('denies GUARD_FAILED when the rate counters or the baseline write fail', async () => {
    const brokenCounters = { consume: async () => Promise.reject(new Error('Redis is unreachable')) };
    expect(await setup({ counters: brokenCounters }).call()).toMatchObject({ code: 'GUARD_FAILED' });
    const memory = new MemoryStore();
    const readOnly: Store = {
      get: (key) => memory.get(key),
      put: async () => Promise.reject(new Error('READONLY the replica is read only')),
      add: async () => true,
      delete: async () => true,
      take: async () => undefined,
    };
    const { call, ran } = setup({ store: readOnly });
    expect(await call()).toMatchObject({ code: 'GUARD_FAILED' });
    expect(ran).toEqual([]);
  });

  it('denies GUARD_FAILED for a malformed stored baseline', async () => {
    const memory = new MemoryStore();
    const tampered: Store = {
      get: async <T>() => ({ v: 1, calls: 'many' }) as T,
      put: (key, value) => memory.put(key, value),
      add: async () => true,
      delete: async () => true,
      take: async () => undefined,
    };
    const { call } = setup({ store: tampered });
    expect(await call()).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/baseline is malformed/),
    });
  });

  it('denies GUARD_FAILED when magnitude.value returns something other than a finite number', async () => {
    const { call } = setup({
      rules: { magnitude: { value: () => Number.NaN } },
    });
    expect(await call()).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/magnitude\.value/),
    });
  });

  test.each([
    [{ response: 'ask' }, /options\.response/],
    [{ rules: {} }, /at least one of/],
    [{ rules: { rate: { factor: 0 } } }, /rules\.rate\.factor/],
    [{ rules: { timeOfDay: { toleranceHours: 12 } } }, /toleranceHours/],
    [{ rules: { magnitude: {} } }, /magnitude\.value/],
    [{ rules: { newTool: { response: 'maybe' } } }, /newTool\.response/],
    [{ learningCalls: 0 }, /learningCalls/],
    [{ stepUp: { maxAge: 5 } }, /unknown options\.stepUp\.maxAge/],
    [{ counters: {} }, /options\.counters/],
  ])('refuses %o at creation', (patch, message) => {
    const options = {
      store: new MemoryStore(),
      counters: new MemoryLimitStore(),
      rules: { newTool: true },
      response: 'deny',
      ...patch,
    };
    expect(() => anomaly(options as never)).toThrow(message);
  });

  it('is a frozen guard of kind anomaly', () => {
    const { guard } = setup();
    expect(guard.kind).toBe('anomaly');
    expect(Object.isFrozen(guard)).toBe(true);
  });
});
