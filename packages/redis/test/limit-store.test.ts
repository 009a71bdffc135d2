import { type LimitConsumeRequest, MemoryLimitStore } from '@agentgate/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../test/support/redis-server';
import {
  createRedisLimitStore,
  isRedisStoreError,
  type RedisLimitStore,
  StoreUnavailable,
} from '../src/index';

const PASSWORD = 'limit-store-redis-password';
let server: RedisServer;
let admin: Redis;
let store: RedisLimitStore;

beforeAll(async () => {
  server = await startRedisServer({ password: PASSWORD });
  admin = new Redis(server.url);
  store = createRedisLimitStore({ url: server.url, prefix: 'limits:' });
});
afterAll(async () => {
  await store?.close();
  admin?.disconnect();
  await server?.stop();
});

let counter = 0;
const freshKey = () => `counter:${++counter}`;

describe('createRedisLimitStore', () => {
  it('admits until the limit and then refuses without changing the counter', async () => {
    const key = freshKey();
    const request = { cost: 1, limit: 3, ttlMs: 60_000 };
    const answers = [];
    for (let index = 0; index < 5; index++) answers.push(await store.consume(key, request));
    expect(answers).toEqual([
      { admitted: true, used: 1 },
      { admitted: true, used: 2 },
      { admitted: true, used: 3 },
      { admitted: false, used: 3 },
      { admitted: false, used: 3 },
    ]);
    expect(await admin.get(`limits:${key}`)).toBe('3');
  });

  it('is exact under 1,000 concurrent consumes from 4 clients', async () => {
    const key = freshKey();
    const stores = Array.from({ length: 4 }, () =>
      createRedisLimitStore({ url: server.url, prefix: 'limits:' }),
    );
    try {
      const answers = await Promise.all(
        Array.from({ length: 1000 }, (_, index) =>
          stores[index % 4]!.consume(key, { cost: 1, limit: 137, ttlMs: 60_000 }),
        ),
      );
      expect(answers.filter((answer) => answer.admitted)).toHaveLength(137);
      expect(await admin.get(`limits:${key}`)).toBe('137');
    } finally {
      await Promise.all(stores.map((each) => each.close()));
    }
  });

  it('gives a new counter the TTL of its window and never extends it', async () => {
    const key = freshKey();
    await store.consume(key, { cost: 1, limit: 10, ttlMs: 30_000 });
    const first = await admin.pttl(`limits:${key}`);
    expect(first).toBeGreaterThan(25_000);
    expect(first).toBeLessThanOrEqual(30_000);
    await store.consume(key, { cost: 1, limit: 10, ttlMs: 90_000 });
    expect(await admin.pttl(`limits:${key}`)).toBeLessThanOrEqual(first);
  });

  it('gives a counter that lost its expiry the window’s TTL again, on an admit and on a refusal', async () => {
    for (const cost of [1, 5]) {
      const key = freshKey();
      await admin.set(`limits:${key}`, '3');
      expect(await admin.pttl(`limits:${key}`)).toBe(-1);
      const answer = await store.consume(key, { cost, limit: 5, ttlMs: 30_000 });
      expect(answer).toEqual(cost === 1 ? { admitted: true, used: 4 } : { admitted: false, used: 3 });
      const ttl = await admin.pttl(`limits:${key}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30_000);
    }
  });

  it('starts over once the counter expired', async () => {
    const key = freshKey();
    await store.consume(key, { cost: 2, limit: 2, ttlMs: 1 });
    // PX 1: gone within a few ms; wait until Redis no longer has it.
    while ((await admin.exists(`limits:${key}`)) === 1)
      await new Promise((resolve) => setTimeout(resolve, 2));
    expect(await store.consume(key, { cost: 2, limit: 2, ttlMs: 60_000 })).toEqual({
      admitted: true,
      used: 2,
    });
  });

  it('answers exactly as MemoryLimitStore for fractional and mixed costs', async () => {
    const key = freshKey();
    const memory = new MemoryLimitStore();
    const costs = [0.1, 0.2, 0.3, 12.75, 0, 3, 0.05, 100, 0.45, 2];
    for (const cost of costs) {
      const request = { cost, limit: 19, ttlMs: 60_000 };
      expect(await store.consume(key, request)).toEqual(await memory.consume('m', request));
    }
  });

  it('reads with cost 0 without creating the key', async () => {
    const key = freshKey();
    expect(await store.consume(key, { cost: 0, limit: 5, ttlMs: 1000 })).toEqual({ admitted: true, used: 0 });
    expect(await admin.exists(`limits:${key}`)).toBe(0);
  });

  it('loads its script again on a node that lost it (SCRIPT FLUSH)', async () => {
    const key = freshKey();
    await store.consume(key, { cost: 1, limit: 5, ttlMs: 60_000 });
    await admin.script('FLUSH');
    expect(await store.consume(key, { cost: 1, limit: 5, ttlMs: 60_000 })).toEqual({
      admitted: true,
      used: 2,
    });
  });

  test.each(['not-a-number', 'nan', '-inf', 'inf'])(
    'refuses a counter %j that is not a finite number as STORE_UNAVAILABLE (redis-error), leaving it alone',
    async (value) => {
      const key = freshKey();
      await admin.set(`limits:${key}`, value);
      const error = await store
        .consume(key, { cost: 1, limit: 5, ttlMs: 1000 })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailable);
      expect(error).toMatchObject({
        code: 'STORE_UNAVAILABLE',
        details: { operation: 'consume', reason: 'redis-error' },
      });
      expect(await admin.get(`limits:${key}`)).toBe(value);
    },
  );

  test.each([
    [{ cost: -1, limit: 1, ttlMs: 1000 }, /request\.cost/],
    [{ cost: 1, limit: 0, ttlMs: 1000 }, /request\.limit/],
    [{ cost: 1, limit: 1, ttlMs: 0.5 }, /request\.ttlMs/],
  ])('refuses %o with a TypeError before reaching Redis', async (request, message) => {
    await expect(store.consume(freshKey(), request as LimitConsumeRequest)).rejects.toThrow(message);
  });

  test.each([
    [{}, /exactly one of options\.client/],
    [{ url: 'redis://x', client: new Redis({ lazyConnect: true }) }, /exactly one/],
    [{ url: 'http://x' }, /redis:\/\//],
    [{ url: 'redis://x', prefix: 'app' }, /prefix/],
    [{ url: 'redis://x', timeoutMs: 0 }, /timeoutMs/],
    [{ url: 'redis://x', encryption: {} }, /unknown options\.encryption/],
    [{ client: {} }, /ioredis Redis or Cluster/],
  ])('refuses %o at creation', (options, message) => {
    expect(() => createRedisLimitStore(options as never)).toThrow(message);
  });

  it('leaves a client it was given open, and never defines commands on it', async () => {
    const client = new Redis(server.url);
    const own = createRedisLimitStore({ client, prefix: 'limits:' });
    await client.ping();
    const before = Object.keys(client);
    await own.consume(freshKey(), { cost: 1, limit: 1, ttlMs: 1000 });
    await own.close();
    expect(await client.ping()).toBe('PONG');
    expect(Object.keys(client)).toEqual(before);
    await expect(own.consume(freshKey(), { cost: 1, limit: 1, ttlMs: 1000 })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      details: { reason: 'closed' },
    });
    client.disconnect();
  });
});

describe('createRedisLimitStore when Redis is down', () => {
  it('rejects with StoreUnavailable within timeoutMs, with no password in the error, and recovers', async () => {
    const down = await startRedisServer({ password: PASSWORD });
    const limits = createRedisLimitStore({ url: down.url, timeoutMs: 300 });
    try {
      expect(await limits.consume('k', { cost: 1, limit: 5, ttlMs: 60_000 })).toEqual({
        admitted: true,
        used: 1,
      });
      await down.stop();
      const error = await limits
        .consume('k', { cost: 1, limit: 5, ttlMs: 60_000 })
        .catch((caught: unknown) => caught);
      expect(isRedisStoreError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { operation: 'consume' } });
      const text = `${(error as Error).message} ${String((error as Error).cause)} ${JSON.stringify(error)}`;
      expect(text).not.toContain(PASSWORD);
      await down.restart();
      let answer: unknown;
      for (let attempt = 0; attempt < 50 && answer === undefined; attempt++) {
        answer = await limits.consume('k', { cost: 1, limit: 5, ttlMs: 60_000 }).catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          return undefined;
        });
      }
      // The restarted server came back empty: the counter starts over.
      expect(answer).toEqual({ admitted: true, used: 1 });
    } finally {
      await limits.close();
      await down.stop();
    }
  });
});
