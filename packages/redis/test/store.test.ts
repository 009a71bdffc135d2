import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../test/support/redis-server';
import { createRedisStore, type RedisStore, StoreValueRejected } from '../src/index';

let server: RedisServer;
let raw: Redis;
let store: RedisStore;
let prefixCount = 0;

/** A store with a prefix of its own, so tests never see each other's keys. */
function freshStore(): RedisStore {
  prefixCount += 1;
  return createRedisStore({ client: raw, prefix: `t${prefixCount}:` });
}

beforeAll(async () => {
  server = await startRedisServer({ password: 'store-test password' });
  raw = new Redis(server.url);
  store = createRedisStore({ url: server.url, prefix: 'app:' });
});
afterAll(async () => {
  await store?.close();
  raw?.disconnect();
  await server?.stop();
});

describe('createRedisStore', () => {
  it('keeps values as JSON under the prefix plus the key', async () => {
    await store.put('approval:1', { state: 'pending', amount: 240, tags: ['a'], nested: { ok: true } });
    expect(store.redisKey('approval:1')).toBe('app:approval:1');
    expect(await raw.get('app:approval:1')).toBe(
      '{"state":"pending","amount":240,"tags":["a"],"nested":{"ok":true}}',
    );
    await expect(store.get('approval:1')).resolves.toEqual({
      state: 'pending',
      amount: 240,
      tags: ['a'],
      nested: { ok: true },
    });
    await expect(store.get('absent')).resolves.toBeUndefined();
  });

  it('round-trips every JSON value, including falsy ones', async () => {
    const values = [0, '', false, null, 'text', 3.5, [], {}, [1, 'two', null]];
    for (const [index, value] of values.entries()) {
      await store.put(`value:${index}`, value);
      await expect(store.get(`value:${index}`)).resolves.toEqual(value);
      await expect(store.take(`value:${index}`)).resolves.toEqual(value);
      await expect(store.get(`value:${index}`)).resolves.toBeUndefined();
    }
  });

  it('defaults the prefix to agentgate:', async () => {
    const defaulted = createRedisStore({ client: raw });
    await defaulted.put('default-prefix', 1);
    expect(await raw.get('agentgate:default-prefix')).toBe('1');
    await defaulted.delete('default-prefix');
  });

  it('put replaces the value and its TTL; delete says whether a record went', async () => {
    const own = freshStore();
    await own.put('k', 'first', { ttlSeconds: 60 });
    const ttl = await raw.pttl(own.redisKey('k'));
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await own.put('k', 'second');
    expect(await raw.pttl(own.redisKey('k'))).toBe(-1);
    await expect(own.get('k')).resolves.toBe('second');
    await expect(own.delete('k')).resolves.toBe(true);
    await expect(own.delete('k')).resolves.toBe(false);
  });

  it('expires records on Redis’s clock, to the millisecond', async () => {
    const own = freshStore();
    await own.put('short', 'v', { ttlSeconds: 0.2 });
    await own.add('short-add', 'v', { ttlSeconds: 0.2 });
    expect(await raw.pttl(own.redisKey('short'))).toBeLessThanOrEqual(200);
    expect(await raw.pttl(own.redisKey('short-add'))).toBeLessThanOrEqual(200);
    await expect(own.get('short')).resolves.toBe('v');
    const started = Date.now();
    while ((await own.get('short')) !== undefined || (await own.get('short-add')) !== undefined) {
      expect(Date.now() - started).toBeLessThan(2000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // An expired key is free again for add.
    await expect(own.add('short-add', 'again')).resolves.toBe(true);
  });

  it('add stores only when the key is absent', async () => {
    const own = freshStore();
    await expect(own.add('once', { n: 1 }, { ttlSeconds: 30 })).resolves.toBe(true);
    await expect(own.add('once', { n: 2 })).resolves.toBe(false);
    await expect(own.get('once')).resolves.toEqual({ n: 1 });
  });

  it('add is atomic: 20 concurrent adds of one key, exactly one wins', async () => {
    const clients = Array.from({ length: 4 }, () => new Redis(server.url));
    try {
      const stores = clients.map((client) => createRedisStore({ client, prefix: 'race-add:' }));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) => stores[index % stores.length]!.add('nonce', { by: index })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      await expect(stores[0]!.get('nonce')).resolves.toEqual({ by: winner });
    } finally {
      for (const client of clients) client.disconnect();
    }
  });

  it('take is atomic: 20 concurrent takes of one key, exactly one gets the value', async () => {
    const clients = Array.from({ length: 4 }, () => new Redis(server.url));
    try {
      const stores = clients.map((client) => createRedisStore({ client, prefix: 'race-take:' }));
      await stores[0]!.put('approval', { id: 'a-1' });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) => stores[index % stores.length]!.take('approval')),
      );
      expect(results.filter((result) => result !== undefined)).toEqual([{ id: 'a-1' }]);
      await expect(stores[0]!.get('approval')).resolves.toBeUndefined();
    } finally {
      for (const client of clients) client.disconnect();
    }
  });

  it('refuses a stored value that is not JSON: a typed error, not a miss', async () => {
    const own = freshStore();
    await raw.set(own.redisKey('garbage'), 'not json {');
    const error = await own.get('garbage').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreValueRejected);
    expect(error).toMatchObject({
      name: 'StoreValueRejected',
      code: 'STORE_VALUE_REJECTED',
      details: { operation: 'get', reason: 'malformed' },
      message: 'redis store: get refused the stored value: the value is not valid JSON',
    });
    expect(String((error as Error).message)).not.toContain('garbage');
    await expect(own.take('garbage')).rejects.toMatchObject({
      details: { operation: 'take', reason: 'malformed' },
    });
    await expect(own.get('garbage')).resolves.toBeUndefined(); // take removed it all the same
  });

  it('rejects keys, TTLs and values it cannot store with a TypeError', async () => {
    await expect(store.put('', 1)).rejects.toThrow(TypeError);
    await expect(store.get(42 as unknown as string)).rejects.toThrow('a key must be a non-empty string');
    await expect(store.put('k', 1, { ttlSeconds: 0 })).rejects.toThrow(
      'ttlSeconds must be a positive number',
    );
    await expect(store.add('k', 1, { ttlSeconds: Number.NaN })).rejects.toThrow(TypeError);
    await expect(store.put('k', undefined)).rejects.toThrow('not JSON-serialisable');
    await expect(store.put('k', { big: 1n })).rejects.toThrow('not JSON-serialisable');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(store.put('k', cyclic)).rejects.toThrow(TypeError);
  });

  it('validates its options at once', () => {
    expect(() => createRedisStore({ url: server.url, prefx: 'x' } as never)).toThrow(
      'createRedisStore: unknown options.prefx (did you mean prefix?)',
    );
    expect(() => createRedisStore({} as never)).toThrow('give exactly one of options.client');
    expect(() => createRedisStore({ client: raw, url: server.url })).toThrow(
      'give exactly one of options.client',
    );
    expect(() => createRedisStore({ client: {} as never })).toThrow(
      'must be an ioredis Redis or Cluster client',
    );
    expect(() => createRedisStore({ url: 'http://127.0.0.1:6379' })).toThrow('redis:// or rediss:// URL');
    // A malformed URL is refused before the parser's error (which would carry the password) can escape.
    const malformed = (() => {
      try {
        createRedisStore({ url: 'redis://:p%zz-secret@127.0.0.1:99999' });
      } catch (error) {
        return error as Error;
      }
    })();
    expect(malformed).toBeInstanceOf(TypeError);
    expect(
      JSON.stringify({ ...malformed, message: malformed?.message, cause: String(malformed?.cause) }),
    ).not.toContain('p%zz-secret');
    expect(() => createRedisStore({ client: raw, prefix: 7 as never })).toThrow(
      'options.prefix must be a string',
    );
    // 'app' would overlap 'app:' ('app' + ':secret' is 'app:' + 'secret').
    expect(() => createRedisStore({ client: raw, prefix: 'app' })).toThrow(
      "end with ':' (for example 'app:')",
    );
    expect(() => createRedisStore({ client: raw, timeoutMs: 0 })).toThrow(
      'options.timeoutMs must be a positive',
    );
    expect(() => createRedisStore({ client: raw, encryption: { key: 'x' } as never })).toThrow(
      'unknown options.encryption.key',
    );
  });

  it('close quits a client it created and leaves a client passed in open', async () => {
    const owned = createRedisStore({ url: server.url, prefix: 'close:' });
    await owned.put('k', 1);
    await owned.close();
    await owned.close();
    await expect(owned.get('k')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      details: { operation: 'get', reason: 'closed' },
    });

    const borrowed = createRedisStore({ client: raw, prefix: 'close:' });
    await borrowed.close();
    await expect(borrowed.get('k')).rejects.toMatchObject({ details: { reason: 'closed' } });
    expect(raw.status).toBe('ready');
    await expect(createRedisStore({ client: raw, prefix: 'close:' }).take('k')).resolves.toBe(1);
  });
});
