import { createGate, createSession, type Guard, memoryAudit } from '@agentgate/core';
import { createRedisLimitStore, createRedisStore, type RedisLimitStore } from '@agentgate/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../test/support/redis-server';
import { anomaly, quota, rateLimit } from '../src/index';

let server: RedisServer;
let counters: RedisLimitStore;

beforeAll(async () => {
  server = await startRedisServer();
  counters = createRedisLimitStore({ url: server.url, prefix: 'limits-test:', timeoutMs: 300 });
});
afterAll(async () => {
  await counters?.close();
  await server?.stop();
});

const alice = createSession({ sub: 'alice', agent: { id: 'bot' } });

function setup() {
  const audit = memoryAudit();
  const gate = createGate({ audit });
  const call = (guard: Guard, args: unknown = { amount: 1 }) =>
    gate
      .run({ tool: { name: 'transfer' }, args }, alice, [guard], async () => 'done')
      .then(
        () => 'ran' as const,
        (error: unknown) => error,
      );
  return { audit, call };
}

describe('limit guards on Redis', () => {
  it('rateLimit rolls its window over with the injected clock', async () => {
    let now = Date.UTC(2026, 6, 1, 9, 0, 58);
    const guard = rateLimit({
      store: counters,
      key: 'user+tool',
      limit: 2,
      windowSeconds: 60,
      now: () => now,
    });
    const { call } = setup();
    expect([await call(guard), await call(guard)]).toEqual(['ran', 'ran']);
    expect(await call(guard)).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfter: 2 } });
    now += 2_000;
    expect([await call(guard), await call(guard)]).toEqual(['ran', 'ran']);
    expect(await call(guard)).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfter: 60 } });
  });

  it('quota sums amounts in Redis', async () => {
    const now = Date.UTC(2026, 6, 1, 9, 0, 0);
    const guard = quota<{ amount: number }>({
      store: counters,
      key: 'user',
      limit: 10,
      period: 'month',
      cost: ({ args }) => args.amount,
      now: () => now,
    });
    const { call } = setup();
    expect(await call(guard as Guard, { amount: 4 })).toBe('ran');
    expect(await call(guard as Guard, { amount: 4 })).toBe('ran');
    expect(await call(guard as Guard, { amount: 4 })).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await call(guard as Guard, { amount: 2 })).toBe('ran');
  });

  it('with Redis down: denies by default, and allows on record with onStoreError: allow', async () => {
    const down = await startRedisServer();
    const store = createRedisLimitStore({ url: down.url, timeoutMs: 300 });
    try {
      await down.stop();
      const { audit, call } = setup();
      const closed = rateLimit({ store, key: 'user', limit: 5, windowSeconds: 60 });
      const denied = await call(closed);
      expect(denied).toMatchObject({
        code: 'GUARD_FAILED',
        message: expect.stringMatching(/limit store failed \(STORE_UNAVAILABLE: (timeout|disconnected)\)/),
      });
      const open = rateLimit({ store, key: 'user', limit: 5, windowSeconds: 60, onStoreError: 'allow' });
      expect(await call(open)).toBe('ran');
      expect(audit.events.find((event) => event.outcome === 'allow')).toMatchObject({
        reason: expect.stringMatching(
          /^limit not enforced: the limit store failed \(STORE_UNAVAILABLE: (timeout|disconnected)\)$/,
        ),
      });
      // Where Redis listens is for the application's logs (the denial's cause), not for the model or the audit trail.
      const port = new URL(down.url).port;
      expect(JSON.stringify([denied, audit.events])).not.toContain(`:${port}`);
    } finally {
      await store.close();
    }
  });

  it('anomaly keeps its baseline in a Redis Store and its rate counters in Redis', async () => {
    let now = Date.UTC(2026, 6, 1, 14, 0, 0);
    const store = createRedisStore({ url: server.url, prefix: 'anomaly-test:' });
    try {
      const guard = anomaly<{ amount: number }>({
        store,
        counters,
        rules: { newTool: true, rate: {}, magnitude: { value: ({ args }) => args.amount } },
        response: 'deny',
        learningCalls: 5,
        now: () => now,
      });
      const { call } = setup();
      for (let index = 0; index < 5; index++) {
        expect(await call(guard as Guard, { amount: 10 })).toBe('ran');
        now += 60_000;
      }
      expect(await call(guard as Guard, { amount: 20 })).toBe('ran');
      expect(await call(guard as Guard, { amount: 61 })).toMatchObject({
        code: 'FORBIDDEN',
        details: { anomaly: ['magnitude'] },
      });
    } finally {
      await store.close();
    }
  });

  it('writes no user id, tenant, agent id or tool name into any Redis key (keys are hashed)', async () => {
    const admin = new Redis(server.url);
    try {
      const keys = await admin.keys('*');
      expect(keys.some((key) => key.startsWith('limits-test:limit:'))).toBe(true);
      expect(keys.some((key) => key.startsWith('limits-test:anomaly-rate:'))).toBe(true);
      for (const key of keys) expect(key).not.toMatch(/alice|bot|transfer/);
    } finally {
      admin.disconnect();
    }
  });
});
