import { createGate, createSession, defineGuard, memoryAudit } from '@agentgate/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../test/support/redis-server';
import { createRedisStore, isRedisStoreError, type RedisStore, StoreUnavailable } from '../src/index';

const PASSWORD = 'hunter2-redis-password';
let server: RedisServer;
let owned: RedisStore;
let borrowedClient: Redis;
let borrowed: RedisStore;

beforeAll(async () => {
  server = await startRedisServer({ password: PASSWORD });
  owned = createRedisStore({ url: server.url, prefix: 'down:', timeoutMs: 300 });
  // A client with ioredis defaults (offline queue, 20 retries per request): the store's own timeout still applies.
  borrowedClient = new Redis(server.url);
  borrowedClient.on('error', () => {});
  borrowed = createRedisStore({ client: borrowedClient, prefix: 'down:', timeoutMs: 300 });
});
afterAll(async () => {
  await owned?.close();
  borrowedClient?.disconnect();
  await server?.stop();
});

/** The error an operation rejects with, and how long it took. */
async function failure(operation: () => Promise<unknown>) {
  const started = performance.now();
  const error = await operation().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return { error: error as StoreUnavailable, ms: performance.now() - started };
}

function expectSafe(error: unknown) {
  const text = `${(error as Error).message} ${String((error as Error).cause)} ${JSON.stringify(error)}`;
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain('user-key-alice');
  expect(text).not.toContain('secret-value');
}

describe('createRedisStore when Redis is down', () => {
  it('rejects every operation promptly with StoreUnavailable, and recovers when Redis is back', async () => {
    await owned.put('user-key-alice', 'secret-value');
    await expect(borrowed.get('user-key-alice')).resolves.toBe('secret-value');
    await server.stop();

    const operations = {
      get: (store: RedisStore) => store.get('user-key-alice'),
      put: (store: RedisStore) => store.put('user-key-alice', 'secret-value', { ttlSeconds: 5 }),
      add: (store: RedisStore) => store.add('user-key-alice', 'secret-value'),
      delete: (store: RedisStore) => store.delete('user-key-alice'),
      take: (store: RedisStore) => store.take('user-key-alice'),
    };
    for (const store of [owned, borrowed]) {
      for (const [operation, run] of Object.entries(operations)) {
        const { error, ms } = await failure(() => run(store));
        expect(error).toBeInstanceOf(StoreUnavailable);
        expect(isRedisStoreError(error)).toBe(true);
        expect(error).toMatchObject({
          name: 'StoreUnavailable',
          code: 'STORE_UNAVAILABLE',
          details: { operation },
        });
        expect(['timeout', 'disconnected']).toContain(error.details.reason);
        expect(error.message).toMatch(
          new RegExp(`^redis store: ${operation} failed: Redis (is unreachable|did not answer)`),
        );
        expect(ms).toBeLessThan(1500);
        expectSafe(error);
      }
    }

    await server.restart(); // empty again: nothing is persisted
    await expect
      .poll(
        () =>
          owned.put('back', 1).then(
            () => 'ok',
            () => 'down',
          ),
        { timeout: 5000 },
      )
      .toBe('ok');
    await expect.poll(() => borrowed.get('back').catch(() => 'down'), { timeout: 5000 }).toBe(1);
  });

  it('a guard reading the store fails closed: the tool does not run', async () => {
    await server.stop();
    try {
      const gate = createGate({ audit: memoryAudit() });
      const approved = defineGuard({
        name: 'approved',
        kind: 'approval',
        check: async ({ session }) => {
          if ((await owned.get(`approval:${session.user.sub}`)) !== 'approved')
            throw new Error('not approved');
        },
      });
      let ran = false;
      const tool = gate.protect({ name: 'refund', risk: 'high' }, [approved], async () => {
        ran = true;
      });
      const { error } = await failure(() => tool({}, { session: createSession({ sub: 'alice' }) }));
      expect(error).toMatchObject({ code: 'GUARD_FAILED' });
      expect(String(error.message)).toContain('redis store: get failed');
      expect(ran).toBe(false);
    } finally {
      await server.restart();
    }
  });

  it('a wrong password is StoreUnavailable without the password in it', async () => {
    const url = server.url.replace(encodeURIComponent(PASSWORD), 'wrong-password-123');
    const store = createRedisStore({ url, timeoutMs: 500 });
    try {
      const { error, ms } = await failure(() => store.get('user-key-alice'));
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { operation: 'get' } });
      expect(ms).toBeLessThan(1500);
      expectSafe(error);
      expect(`${error.message} ${String(error.cause)}`).not.toContain('wrong-password-123');
    } finally {
      await store.close();
    }
  });

  it('a Redis that never was there is StoreUnavailable at the first operation', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', timeoutMs: 300 });
    try {
      const { error, ms } = await failure(() => store.add('user-key-alice', 'secret-value'));
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { operation: 'add' } });
      expect(ms).toBeLessThan(1000);
    } finally {
      await store.close();
    }
  });
});
