import {
  type AgentSession,
  createGate,
  createSession,
  GateDenied,
  type Guard,
  isGateDenied,
  type LimitStore,
  MemoryLimitStore,
  memoryAudit,
} from '@agentgate/core';
import { describe, expect, it, test } from 'vitest';
import { rateLimit } from '../src/index';

const alice = createSession({ sub: 'alice', tenant: 'acme' });
const bob = createSession({ sub: 'bob', tenant: 'acme' });
const carol = createSession({ sub: 'carol', tenant: 'globex' });
const search = { name: 'search' };
const browse = { name: 'browse' };

/** A gate with a memory audit; `call` runs one call and reports whether the tool ran, or the error. */
function setup() {
  const audit = memoryAudit();
  const gate = createGate({ audit });
  let ran = 0;
  const call = (
    guard: Guard,
    session: AgentSession = alice,
    tool: { name: string } = search,
    args: unknown = { query: 'q' },
  ) =>
    gate
      .run({ tool, args }, session, [guard], async () => {
        ran += 1;
        return 'done';
      })
      .then(
        () => 'ran' as const,
        (error: unknown) => error,
      );
  return { audit, gate, call, ran: () => ran };
}

describe('rateLimit', () => {
  it('admits exactly limit calls per window, then denies RATE_LIMITED with retryAfter, audited', async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 10);
    const guard = rateLimit({
      store: new MemoryLimitStore({ now: () => now }),
      key: 'user',
      limit: 3,
      windowSeconds: 60,
      now: () => now,
    });
    const { audit, call, ran } = setup();
    const outcomes = [];
    for (let index = 0; index < 5; index++) outcomes.push(await call(guard));
    expect(outcomes.slice(0, 3)).toEqual(['ran', 'ran', 'ran']);
    expect(ran()).toBe(3);
    const denied = outcomes[3];
    expect(denied).toBeInstanceOf(GateDenied);
    expect(denied).toMatchObject({
      code: 'RATE_LIMITED',
      guard: 'rateLimit(user, 3/60s)',
      details: { limit: 3, windowSeconds: 60, retryAfter: 50 },
      message: "'search' is over its limit of 3 calls per 60s; retry in 50s",
    });
    expect(isGateDenied((denied as GateDenied).toJSON())).toBe(true);
    const deny = audit.events.filter((event) => event.outcome === 'deny');
    expect(deny).toHaveLength(2);
    expect(deny[0]).toMatchObject({ guard: 'rateLimit(user, 3/60s)', code: 'RATE_LIMITED', phase: 'guard' });
  });

  it('rolls the window over with the injected clock', async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 59, 500);
    const store = new MemoryLimitStore({ now: () => now });
    const guard = rateLimit({ store, key: 'user', limit: 2, windowSeconds: 60, now: () => now });
    const { call } = setup();
    expect(await call(guard)).toBe('ran');
    expect(await call(guard)).toBe('ran');
    expect(await call(guard)).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfter: 1 } });
    now += 500; // 12:01:00.000, a new window
    expect(await call(guard)).toBe('ran');
    expect(await call(guard)).toBe('ran');
    expect(await call(guard)).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfter: 60 } });
  });

  it('is exact under 500 concurrent calls through one gate', async () => {
    const guard = rateLimit({ store: new MemoryLimitStore(), key: 'user', limit: 123, windowSeconds: 3600 });
    const { call, ran } = setup();
    const outcomes = await Promise.all(Array.from({ length: 500 }, () => call(guard)));
    expect(outcomes.filter((outcome) => outcome === 'ran')).toHaveLength(123);
    expect(ran()).toBe(123);
    expect(outcomes.filter((outcome) => (outcome as GateDenied).code === 'RATE_LIMITED')).toHaveLength(377);
  });

  test.each([
    ['user', [true, false, true, true], 'same user on two tools shares; others have their own'],
    ['user+tool', [true, true, true, true], 'each tool has its own counter per user'],
    ['tenant', [true, false, false, true], 'alice and bob share acme; carol is in globex'],
  ] as const)('keys by %s: %s', async (key, expected, _description) => {
    const guard = rateLimit({ store: new MemoryLimitStore(), key, limit: 1, windowSeconds: 60 });
    const { call } = setup();
    const outcomes = [
      await call(guard, alice, search),
      await call(guard, alice, browse),
      await call(guard, bob, search),
      await call(guard, carol, search),
    ];
    expect(outcomes.map((outcome) => outcome === 'ran')).toEqual(expected);
  });

  it('keys by a function of the call', async () => {
    const guard = rateLimit<{ query: string }>({
      store: new MemoryLimitStore(),
      key: ({ session }) => session.agent?.id ?? 'no-agent',
      limit: 1,
      windowSeconds: 60,
    });
    const { call } = setup();
    const agentA = createSession({ sub: 'alice', agent: { id: 'a' } });
    const agentB = createSession({ sub: 'bob', agent: { id: 'b' } });
    expect(await call(guard as Guard, agentA)).toBe('ran');
    expect(await call(guard as Guard, agentA)).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await call(guard as Guard, agentB)).toBe('ran');
  });

  it('denies a tenant key on a session without a tenant, and a key function that returns no string', async () => {
    const { call } = setup();
    const tenantless = createSession({ sub: 'dave' });
    const byTenant = rateLimit({ store: new MemoryLimitStore(), key: 'tenant', limit: 5, windowSeconds: 60 });
    expect(await call(byTenant, tenantless)).toMatchObject({ code: 'FORBIDDEN' });
    const broken = rateLimit({
      store: new MemoryLimitStore(),
      key: () => '' as string,
      limit: 5,
      windowSeconds: 60,
    });
    expect(await call(broken)).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/non-empty string/),
    });
  });

  it('keeps user ids out of the store keys', async () => {
    const keys: string[] = [];
    const store: LimitStore = {
      consume: async (key) => {
        keys.push(key);
        return { admitted: true, used: 1 };
      },
    };
    const { call } = setup();
    await call(rateLimit({ store, key: 'user+tool', limit: 5, windowSeconds: 60 }), alice);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^limit:[0-9a-f]{64}:\d+$/);
    expect(keys[0]).not.toContain('alice');
  });

  it('fails closed when the store fails, by default', async () => {
    const store: LimitStore = {
      consume: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'STORE_UNAVAILABLE' });
      },
    };
    const { audit, call, ran } = setup();
    const outcome = await call(rateLimit({ store, key: 'user', limit: 5, windowSeconds: 60 }));
    expect(outcome).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/limit store failed \(STORE_UNAVAILABLE\)/),
    });
    expect(ran()).toBe(0);
    expect(audit.events.at(-1)).toMatchObject({ outcome: 'deny', code: 'GUARD_FAILED' });
    // The store's own message names the Redis host and port: neither the model nor the audit trail gets it.
    expect(JSON.stringify([outcome, audit.events])).not.toContain('6379');
  });

  it("fails open with onStoreError: 'allow', and says so in the audit event", async () => {
    const store: LimitStore = {
      consume: async () => {
        throw new Error('Redis did not answer in time');
      },
    };
    const { audit, call, ran } = setup();
    const guard = rateLimit({ store, key: 'user', limit: 5, windowSeconds: 60, onStoreError: 'allow' });
    expect(await call(guard)).toBe('ran');
    expect(ran()).toBe(1);
    const allow = audit.events.find((event) => event.phase === 'guard');
    expect(allow).toMatchObject({ outcome: 'allow', reason: expect.stringMatching(/^limit not enforced: /) });
  });

  it("still denies a TypeError from the store with onStoreError: 'allow' (a bug, not an outage)", async () => {
    const store: LimitStore = {
      consume: async () => {
        throw new TypeError('request.cost must be a finite number');
      },
    };
    const { call } = setup();
    const guard = rateLimit({ store, key: 'user', limit: 5, windowSeconds: 60, onStoreError: 'allow' });
    expect(await call(guard)).toMatchObject({ code: 'GUARD_FAILED' });
  });

  test.each([
    ['undefined', undefined],
    ['a truthy non-boolean', { admitted: 'yes', used: 1 }],
  ])('denies GUARD_FAILED when the store answers %s, whatever onStoreError says', async (_, answer) => {
    const store = { consume: async () => answer } as unknown as LimitStore;
    const { call, ran } = setup();
    const guard = rateLimit({ store, key: 'user', limit: 5, windowSeconds: 60, onStoreError: 'allow' });
    expect(await call(guard)).toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringMatching(/without a yes or no/),
    });
    expect(ran()).toBe(0);
  });

  test.each([
    [{ limit: 0 }, /options\.limit/],
    [{ limit: 1.5 }, /options\.limit/],
    [{ windowSeconds: -1 }, /options\.windowSeconds/],
    [{ key: 'users' }, /options\.key/],
    [{ onStoreError: 'open' }, /onStoreError/],
    [{ store: {} }, /options\.store/],
    [{ window: 60 }, /unknown options\.window/],
    [{ now: 1 }, /options\.now/],
    [{ name: '' }, /options\.name/],
  ])('refuses %o at creation', (patch, message) => {
    const options = { store: new MemoryLimitStore(), key: 'user', limit: 5, windowSeconds: 60, ...patch };
    expect(() => rateLimit(options as never)).toThrow(message);
    expect(() => rateLimit(options as never)).toThrow(TypeError);
  });

  it('is a guard of kind limit', () => {
    const guard = rateLimit({ store: new MemoryLimitStore(), key: 'user', limit: 5, windowSeconds: 60 });
    expect(guard.kind).toBe('limit');
    expect(Object.isFrozen(guard)).toBe(true);
  });
});
