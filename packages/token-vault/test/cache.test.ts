import { createSession, MemoryStore, type StorePutOptions } from '@agentgate/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DevVaultServer, startDevVaultServer } from './support/dev-vault-server';
import { addEvent, CONNECTION, listEvents, vaultFor } from './support/fixtures';

const USERS = 50;
let server: DevVaultServer;
let alice: Awaited<ReturnType<DevVaultServer['session']>>;
const read = { connection: CONNECTION, scopes: ['events.read'] };

beforeAll(async () => {
  server = await startDevVaultServer({ extraUsers: USERS });
  alice = await server.session(server.users[0]!.username);
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  await server.connections.disconnect(alice.session.user.sub, CONNECTION);
  await server.connections.connect(alice.session.user.sub, CONNECTION, {
    scopes: ['events.read', 'events.write'],
  });
});

const issued = () => server.connections.exchangeCount({ outcome: 'issued' });

describe('token cache', () => {
  it('serves a live token from the cache and exchanges again per scope set', async () => {
    const vault = vaultFor(server);
    const before = issued();
    const first = await vault.getToken(alice.session, read);
    const second = await vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] });
    expect(second.accessToken).toBe(first.accessToken);
    expect(issued()).toBe(before + 1);
    // Same set in another order and with a duplicate: same key.
    await vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.write', 'events.read'] });
    await vault.getToken(alice.session, {
      connection: CONNECTION,
      scopes: ['events.read', 'events.write', 'events.read'],
    });
    expect(issued()).toBe(before + 2);
  });

  it('exchanges again once the token is within the skew of its expiry', async () => {
    let clock = Date.now();
    const vault = vaultFor(server, { now: () => clock, skewSeconds: 30 });
    const before = issued();
    const first = await vault.getToken(alice.session, read);
    const lifetime = first.expiresAt! - Math.floor(clock / 1000);
    expect(lifetime).toBeGreaterThan(30);
    clock += (lifetime - 31) * 1000;
    await vault.getToken(alice.session, read);
    expect(issued()).toBe(before + 1);
    clock += 2_000;
    const renewed = await vault.getToken(alice.session, read);
    expect(issued()).toBe(before + 2);
    expect(renewed.expiresAt).toBeGreaterThan(first.expiresAt!);
    expect((await listEvents(server, renewed.accessToken)).status).toBe(200);
  });

  it('sends one exchange for 100 concurrent calls for the same user, connection and scopes', async () => {
    const vault = vaultFor(server, { dialect: 'auth0' });
    const before = issued();
    const tokens = await Promise.all(Array.from({ length: 100 }, () => vault.getToken(alice.session, read)));
    expect(issued()).toBe(before + 1);
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1);
  });

  it.each([
    ['in memory', {}],
    ['in an encrypted store', { store: new MemoryStore(), encryptionKey: new Uint8Array(32).fill(3) }],
  ])(
    'keeps tokens apart for the same sub in another tenant or at another issuer (%s)',
    async (_where, options) => {
      const vault = vaultFor(server, options);
      const sub = alice.session.user.sub;
      const subjectToken = alice.session.subjectToken;
      const sessions = [
        createSession({ sub, iss: server.issuer, tenant: 'acme', subjectToken }),
        createSession({ sub, iss: server.issuer, tenant: 'globex', subjectToken }),
        createSession({ sub, iss: 'https://other-issuer.example/', tenant: 'acme', subjectToken }),
      ];
      const before = issued();
      // One exchange per identity (the mock provider hands the same live token back to each, so count exchanges).
      for (const [index, session] of sessions.entries()) {
        await vault.getToken(session, read);
        expect(issued()).toBe(before + index + 1);
      }
      // Each is cached under its own identity: asking again sends nothing.
      for (const session of sessions) await vault.getToken(session, read);
      expect(issued()).toBe(before + 3);
    },
  );

  it('keys the cache on the auth0 login hint: a token issued for one hint is never served for another', async () => {
    let hint: string | undefined;
    const vault = vaultFor(server, { dialect: 'auth0', loginHint: () => hint });
    const before = issued();
    await vault.getToken(alice.session, read);
    hint = alice.session.user.sub;
    const withHint = await vault.getToken(alice.session, read);
    expect(issued()).toBe(before + 2);
    expect((await vault.getToken(alice.session, read)).accessToken).toBe(withHint.accessToken);
    expect(issued()).toBe(before + 2);
    // A hint the server refuses (it names another user) is sent, not answered from another hint's entry.
    hint = 'mallory';
    await expect(vault.getToken(alice.session, read)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { failure: 'invalid_subject' },
    });
    expect(issued()).toBe(before + 2);
  });

  it('denies GUARD_FAILED when the login hint function throws or returns a non-string', async () => {
    for (const loginHint of [
      () => {
        throw new Error('directory unavailable');
      },
      () => 42 as unknown as string,
    ]) {
      const vault = vaultFor(server, { dialect: 'auth0', loginHint });
      await expect(vault.getToken(alice.session, read)).rejects.toMatchObject({
        code: 'GUARD_FAILED',
        message: expect.stringContaining(`loginHint for connection '${CONNECTION}'`),
      });
    }
  });

  it('shares one failure among concurrent callers, and each gets its own interrupt', async () => {
    await server.connections.disconnect(alice.session.user.sub, CONNECTION);
    const vault = vaultFor(server);
    const before = server.connections.exchangeCount();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => vault.getToken(alice.session, read)),
    );
    expect(server.connections.exchangeCount()).toBe(before + 1);
    const reasons = results.map((result) => (result.status === 'rejected' ? result.reason : undefined));
    expect(reasons.every((reason) => reason?.code === 'CONNECTION_REQUIRED')).toBe(true);
    expect(new Set(reasons).size).toBe(20);
  });

  it(`gives each of ${USERS} concurrent users only their own token`, async () => {
    const users = server.users.filter((user) => user.sub.startsWith('user-'));
    expect(users).toHaveLength(USERS);
    const sessions = await Promise.all(users.map((user) => server.session(user.username)));
    for (const { session } of sessions) {
      await server.connections.connect(session.user.sub, CONNECTION, {
        scopes: ['events.read', 'events.write'],
      });
    }
    const vault = vaultFor(server, { dialect: 'auth0' });
    const before = issued();
    const results = await Promise.all(
      sessions.map(async ({ session }) => {
        const token = await vault.getToken(session, {
          connection: CONNECTION,
          scopes: ['events.read', 'events.write'],
        });
        expect(await addEvent(server, token.accessToken, `meeting of ${session.user.sub}`)).toBe(201);
        return { sub: session.user.sub, token: token.accessToken };
      }),
    );
    expect(issued()).toBe(before + USERS);
    expect(new Set(results.map((result) => result.token)).size).toBe(USERS);
    for (const { sub, token } of results) {
      const { status, body } = await listEvents(server, token);
      expect(status).toBe(200);
      expect(body.user).toBe(sub);
      expect(body.items?.map((item) => item.title)).toEqual([`meeting of ${sub}`]);
    }
  });
});

describe('token cache in a store', () => {
  const encryptionKey = Buffer.alloc(32, 7).toString('base64url');

  it('keeps only ciphertext in the store, and shares tokens between vaults with the same key', async () => {
    const store = new RecordingStore();
    const before = issued();
    const token = await vaultFor(server, { store, encryptionKey }).getToken(alice.session, read);
    expect(store.size).toBeGreaterThan(0);
    const raw = JSON.stringify(store.written);
    expect(raw).not.toContain(token.accessToken);
    expect(raw).not.toContain(alice.session.user.sub);
    expect(raw).not.toContain(CONNECTION);

    const other = vaultFor(server, { store, encryptionKey });
    expect((await other.getToken(alice.session, read)).accessToken).toBe(token.accessToken);
    expect(issued()).toBe(before + 1);
  });

  it('treats a record it cannot open (another key, tampering) as a miss', async () => {
    const store = new MemoryStore();
    const before = issued();
    await vaultFor(server, { store, encryptionKey }).getToken(alice.session, read);
    const otherKey = new Uint8Array(32).fill(9);
    await vaultFor(server, { store, encryptionKey: otherKey }).getToken(alice.session, read);
    expect(issued()).toBe(before + 2);
  });

  it('drops the stored token when invalidated', async () => {
    const store = new MemoryStore();
    const vault = vaultFor(server, { store, encryptionKey });
    const before = issued();
    await vault.getToken(alice.session, read);
    await vault.invalidate(alice.session, read);
    await vaultFor(server, { store, encryptionKey }).getToken(alice.session, read);
    expect(issued()).toBe(before + 2);
  });
});

/** A MemoryStore that also records what was written to it, as a store's operator would see it. */
class RecordingStore extends MemoryStore {
  readonly written: { key: string; value: unknown }[] = [];
  override async put<T = unknown>(key: string, value: T, options?: StorePutOptions): Promise<void> {
    this.written.push({ key, value });
    await super.put(key, value, options);
  }
}

describe('token expiry at the provider', () => {
  it('exchanges again once the provider token expired, and gets a refreshed one that works', async () => {
    const shortLived = await startDevVaultServer({ externalTokenTtlSeconds: 1 });
    try {
      const { session } = await shortLived.session(shortLived.users[0]!.username);
      await shortLived.connections.connect(session.user.sub, CONNECTION, { scopes: ['events.read'] });
      const vault = vaultFor(shortLived, { skewSeconds: 0 });
      const first = await vault.getToken(session, read);
      expect(first.expiresAt! - Date.now() / 1000).toBeLessThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await listEvents(shortLived, first.accessToken)).status).toBe(401);
      const second = await vault.getToken(session, read);
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(shortLived.connections.exchangeCount({ outcome: 'issued' })).toBe(2);
      expect(await listEvents(shortLived, second.accessToken)).toMatchObject({
        status: 200,
        body: { user: session.user.sub },
      });
    } finally {
      await shortLived.close();
    }
  });
});
