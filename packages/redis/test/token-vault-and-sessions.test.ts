/**
 * The token vault's cache and identity's background sessions on a Redis store, unchanged: two "processes" (two
 * vaults, two stores, two clients) share what one of them stored, and the store holds only ciphertext.
 */
import { randomBytes } from 'node:crypto';
import { createGate, memoryAudit } from '@agentgate/core';
import { type DevServer, startDevServer } from '@agentgate/dev-server';
import {
  backgroundSessionKey,
  createBackgroundSession,
  createLogin,
  type Login,
  type LoginTokens,
  requireActiveSession,
  resumeBackgroundSession,
  verifyAccessToken,
} from '@agentgate/identity';
import { createTokenVault, type TokenVault } from '@agentgate/token-vault';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../test/support/redis-server';
import { createRedisStore, type RedisStore } from '../src/index';

let server: DevServer;
let redis: RedisServer;
let raw: Redis;
const stores: RedisStore[] = [];
const storeKeys = [randomBytes(32)];
const vaultKey = randomBytes(32);

/** One "process": its own Redis client, same Redis, same prefix and keys. */
function processStore(): RedisStore {
  const store = createRedisStore({ url: redis.url, prefix: 'app:', encryption: { keys: storeKeys } });
  stores.push(store);
  return store;
}

function vaultOn(store: RedisStore): TokenVault {
  const agent = server.clients[0]!;
  return createTokenVault({
    issuer: server.issuer,
    clientId: agent.clientId,
    clientSecret: agent.clientSecret,
    dialect: 'auth0',
    allowInsecureRequests: true,
    store,
    encryptionKey: vaultKey,
  });
}

beforeAll(async () => {
  [server, redis] = await Promise.all([startDevServer({ fga: false }), startRedisServer()]);
  raw = new Redis(redis.url);
});
afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  raw?.disconnect();
  await Promise.all([server?.close(), redis?.stop()]);
});

async function everythingInRedis(): Promise<string> {
  const keys = await raw.keys('*');
  const values = await Promise.all(keys.map((key) => raw.get(key)));
  return JSON.stringify({ keys, values });
}

describe('the token vault on a Redis store', () => {
  it('caches a token in Redis: a second vault with its own store gets it without a new exchange', async () => {
    const tokens = await server.login('alice@acme', { scope: 'openid calendar:read' });
    const session = await verifyAccessToken(tokens.access_token, {
      issuer: server.issuer,
      audience: server.apiAudience,
    });
    await server.connections.connect('alice@acme', 'acme-calendar', { scopes: ['events.read'] });
    const request = { connection: 'acme-calendar', scopes: ['events.read'] };

    const before = server.connections.exchangeCount();
    const first = await vaultOn(processStore()).getToken(session, request);
    expect(server.connections.exchangeCount() - before).toBe(1);
    const keys = await raw.keys('app:agentgate:token-vault:v1:*');
    expect(keys.length).toBeGreaterThan(0); // the token (and the granted scope set), under digests
    const ttls = await Promise.all(keys.map((key) => raw.pttl(key)));
    expect(Math.max(...ttls)).toBeGreaterThan(0); // the token expires with itself

    const second = await vaultOn(processStore()).getToken(session, request);
    expect(second.accessToken).toBe(first.accessToken);
    expect(server.connections.exchangeCount() - before).toBe(1);

    const stored = await everythingInRedis();
    expect(stored).not.toContain(first.accessToken);
    expect(stored).not.toContain('alice');
    expect(stored).not.toContain('acme-calendar');

    // A cached entry the store refuses (edited in Redis) is a miss the vault drops, not a broken connection.
    for (const key of keys) {
      const value = (await raw.get(key)) ?? '';
      await raw.set(key, `${value.slice(0, -4)}AAAA`, 'KEEPTTL');
    }
    const third = await vaultOn(processStore()).getToken(session, request);
    expect(third.accessToken).toEqual(expect.any(String));
    expect(server.connections.exchangeCount() - before).toBe(2);
  });
});

describe('background sessions on a Redis store', () => {
  let login: Login;

  beforeAll(() => {
    const client = server.clients[0]!;
    login = createLogin({
      issuer: server.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      redirectUri: client.redirectUris[0]!,
      resource: server.apiAudience,
      allowInsecureRequests: true,
    });
  });

  it('persists the refresh token encrypted, rotates it in Redis, and resumes in another process', async () => {
    const issued = await server.login('alice@acme');
    const tokens: LoginTokens = {
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token!,
      expiresAt: Math.floor(Date.now() / 1000) + (issued.expires_in ?? 60),
      scope: issued.scope ?? '',
    };
    expect(tokens.refreshToken).toBeTruthy();
    const store = processStore();
    const session = await createBackgroundSession({ login, store, tokens, sessionId: 'nightly-report' });
    const redisKey = store.redisKey(backgroundSessionKey('nightly-report'));
    const sealed = await raw.get(redisKey);
    expect(sealed).toMatch(/^enc1\./);
    expect(await everythingInRedis()).not.toContain(tokens.refreshToken);

    // A deferred call: requireActiveSession redeems the refresh token and stores the rotated one.
    const gate = createGate({ audit: memoryAudit() });
    const send = gate.protect({ name: 'send_report' }, [requireActiveSession()], async () => 'sent');
    await expect(send({}, { session })).resolves.toBe('sent');
    const rotated = await store.get<{ refreshToken: string }>(backgroundSessionKey('nightly-report'));
    expect(rotated?.refreshToken).toBeTruthy();
    expect(rotated?.refreshToken).not.toBe(tokens.refreshToken);
    expect(await raw.get(redisKey)).not.toBe(sealed);

    // Another process, another client: it picks the session up from Redis.
    const resumed = await resumeBackgroundSession({
      login,
      store: processStore(),
      sessionId: 'nightly-report',
      expectedSub: 'alice',
    });
    expect(resumed).toMatchObject({ id: 'nightly-report', mode: 'background', user: { sub: 'alice' } });
    await expect(send({}, { session: resumed })).resolves.toBe('sent');
    await expect(resumed.subjectToken({ type: 'refresh_token' })).resolves.not.toBe(rotated?.refreshToken);
  });
});

describe('when Redis is down', () => {
  it('the vault guard and requireActiveSession deny: the tools do not run', async () => {
    const tokens = await server.login('alice@acme', { scope: 'openid calendar:read' });
    const session = await verifyAccessToken(tokens.access_token, {
      issuer: server.issuer,
      audience: server.apiAudience,
    });
    const store = createRedisStore({ url: redis.url, prefix: 'app:', timeoutMs: 300 });
    stores.push(store);
    const vault = vaultOn(store);
    const gate = createGate({ audit: memoryAudit() });
    let ran = 0;
    const listEvents = gate.protect(
      { name: 'list_events' },
      [vault.guard({ connection: 'acme-calendar', scopes: ['events.read'] })],
      async () => {
        ran += 1;
      },
    );
    await redis.stop();
    try {
      await expect(listEvents({}, { session })).rejects.toMatchObject({ code: 'GUARD_FAILED' });
      expect(ran).toBe(0);
    } finally {
      await redis.restart();
    }
  });
});
