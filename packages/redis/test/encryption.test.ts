import { randomBytes } from 'node:crypto';
import { AgentGateError } from '@agentgate/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../test/support/redis-server';
import { createRedisStore, encryptionKeyId, isRedisStoreError, StoreValueRejected } from '../src/index';

let server: RedisServer;
let raw: Redis;
const oldKey = randomBytes(32);
const newKey = randomBytes(32).toString('base64url');
const secretValue = { refreshToken: 'rt-super-secret-value-123456', sub: 'alice' };

beforeAll(async () => {
  server = await startRedisServer();
  raw = new Redis(server.url);
});
afterAll(async () => {
  raw?.disconnect();
  await server?.stop();
});

function storeWith(keys: (Uint8Array | string)[] | undefined, prefix = 'enc:') {
  return createRedisStore({ client: raw, prefix, ...(keys === undefined ? {} : { encryption: { keys } }) });
}

async function rejection(promise: Promise<unknown>): Promise<StoreValueRejected> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StoreValueRejected);
  expect(AgentGateError.isInstance(error)).toBe(true);
  expect(isRedisStoreError(error)).toBe(true);
  const message = (error as Error).message;
  expect(message).not.toContain(secretValue.refreshToken);
  expect(message).not.toContain('session:');
  return error as StoreValueRejected;
}

describe('createRedisStore({ encryption })', () => {
  it('round-trips values and stores only AES-256-GCM ciphertext naming its key id', async () => {
    const store = storeWith([oldKey]);
    await store.put('session:1', secretValue, { ttlSeconds: 60 });
    const stored = (await raw.get('enc:session:1'))!;
    expect(stored).toMatch(/^enc1\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(stored.split('.')[1]).toBe(encryptionKeyId(oldKey));
    expect(stored).not.toContain('rt-super');
    expect(stored).not.toContain('alice');
    await expect(store.get('session:1')).resolves.toEqual(secretValue);
    // A fresh IV each time: the same value never encrypts to the same text.
    await store.put('session:1b', secretValue);
    expect(await raw.get('enc:session:1b')).not.toBe(stored);
    await expect(store.add('session:1c', secretValue)).resolves.toBe(true);
    await expect(store.take('session:1c')).resolves.toEqual(secretValue);
  });

  it('rotates: the first key encrypts, the previous ones still decrypt', async () => {
    await storeWith([oldKey]).put('session:2', secretValue);
    const rotated = storeWith([newKey, oldKey]);
    await expect(rotated.get('session:2')).resolves.toEqual(secretValue);
    await rotated.put('session:3', secretValue);
    expect((await raw.get('enc:session:3'))!.split('.')[1]).toBe(encryptionKeyId(newKey));
    // Rewriting re-encrypts under the current key; the old key can go once nothing names it.
    await rotated.put('session:2', await rotated.get('session:2'));
    await expect(storeWith([newKey]).get('session:2')).resolves.toEqual(secretValue);
  });

  it('a value under a key that is not configured is a typed error, never a miss', async () => {
    await storeWith([oldKey]).put('session:4', secretValue);
    const error = await rejection(storeWith([newKey]).get('session:4'));
    expect(error).toMatchObject({
      code: 'STORE_VALUE_REJECTED',
      details: { operation: 'get', reason: 'unknown-key', keyId: encryptionKeyId(oldKey) },
    });
  });

  it('a wrong key under the right id fails authentication', async () => {
    await storeWith([oldKey]).put('session:5', secretValue);
    const stored = (await raw.get('enc:session:5'))!;
    const forged = stored.replace(encryptionKeyId(oldKey), encryptionKeyId(newKey));
    await raw.set('enc:session:5', forged);
    const error = await rejection(storeWith([newKey]).get('session:5'));
    expect(error.details).toMatchObject({ reason: 'authentication-failed', keyId: encryptionKeyId(newKey) });
  });

  it('a tampered value is a typed error', async () => {
    const store = storeWith([oldKey]);
    await store.put('session:6', secretValue);
    const stored = (await raw.get('enc:session:6'))!;
    const [format, keyId, iv, sealed] = stored.split('.') as [string, string, string, string];
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[3] = bytes[3]! ^ 1;
    await raw.set('enc:session:6', [format, keyId, iv, bytes.toString('base64url')].join('.'));
    const error = await rejection(store.get('session:6'));
    expect(error.details).toMatchObject({ operation: 'get', reason: 'authentication-failed' });
    expect(error.message).toBe(
      `redis store: get refused the stored value: the value does not authenticate under key id '${keyId}' (edited, copied from another key, or a wrong key)`,
    );
    await raw.set('enc:session:6', `${format}.${keyId}.${iv}`);
    expect((await rejection(store.take('session:6'))).details.reason).toBe('malformed');
  });

  it('a value copied under another key does not open (it is bound to its Redis key)', async () => {
    const store = storeWith([oldKey]);
    await store.put('session:alice', secretValue);
    await raw.set('enc:session:mallory', (await raw.get('enc:session:alice'))!);
    expect((await rejection(store.get('session:mallory'))).details.reason).toBe('authentication-failed');
    // …nor under another prefix.
    await raw.set('other:session:alice', (await raw.get('enc:session:alice'))!);
    expect((await rejection(storeWith([oldKey], 'other:').get('session:alice'))).details.reason).toBe(
      'authentication-failed',
    );
  });

  it('refuses plain values in an encrypting store, and encrypted values in a plain one', async () => {
    await raw.set('enc:session:7', JSON.stringify(secretValue));
    expect((await rejection(storeWith([oldKey]).get('session:7'))).details.reason).toBe('not-encrypted');
    await storeWith([oldKey]).put('session:8', secretValue);
    expect((await rejection(storeWith(undefined).get('session:8'))).details.reason).toBe('no-keys');
  });

  it('validates keys at creation, without echoing them', () => {
    const short = randomBytes(16).toString('base64url');
    const check = (keys: unknown, message: string) => {
      let error: unknown;
      try {
        storeWith(keys as string[]);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain(message);
      expect((error as Error).message).not.toContain(short);
    };
    check([], 'options.encryption.keys must be a non-empty array');
    expect(() => createRedisStore({ client: raw, encryption: {} as never })).toThrow(
      'must be a non-empty array',
    );
    check([short], 'options.encryption.keys[0] must be 32 bytes');
    check([newKey, randomBytes(31)], 'options.encryption.keys[1] must be 32 bytes');
    check([`${newKey}=`], 'keys[0] must be 32 bytes');
    check([Buffer.from(newKey, 'base64url').toString('base64')], 'keys[0] must be 32 bytes');
    check([oldKey, oldKey.toString('base64url')], 'holds the same key twice');
    expect(() => encryptionKeyId('short')).toThrow(TypeError);
    expect(encryptionKeyId(oldKey)).toBe(encryptionKeyId(oldKey.toString('base64url')));
  });

  it('does not keep a reference to the key bytes it was given', async () => {
    const key = randomBytes(32);
    const store = storeWith([key]);
    await store.put('session:9', secretValue);
    key.fill(7);
    await expect(store.get('session:9')).resolves.toEqual(secretValue);
  });
});
