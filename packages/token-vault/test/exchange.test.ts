import { createSession, GateDenied, GateInterrupt } from '@agentgate/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TokenExchangeFailed } from '../src';
import { type DevVaultServer, startDevVaultServer } from './support/dev-vault-server';
import { addEvent, CONNECTION, everythingShown, listEvents, rejectionOf, vaultFor } from './support/fixtures';

let server: DevVaultServer;
let alice: Awaited<ReturnType<DevVaultServer['session']>>;
let bob: Awaited<ReturnType<DevVaultServer['session']>>;

beforeAll(async () => {
  server = await startDevVaultServer();
  alice = await server.session(server.users[0]!.username);
  bob = await server.session(server.users[1]!.username);
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  for (const user of server.users) await server.connections.disconnect(user.sub, CONNECTION);
});

const dialects = [
  ['rfc8693', 'standard'],
  ['auth0', 'auth0'],
] as const;

describe('the connect link of CONNECTION_REQUIRED', () => {
  const read = { connection: CONNECTION, scopes: ['events.read'] };

  it('carries connectUrl, which opens the dev server connect page', async () => {
    const error = await rejectionOf(vaultFor(server).getToken(alice.session, read));
    const { connectUrl } = (error as GateInterrupt<'CONNECTION_REQUIRED'>).details;
    expect(connectUrl).toBe(
      `${server.issuer.replace(/\/$/, '')}/connections/${CONNECTION}/connect?scopes=events.read`,
    );
    expect((error as Error).message).not.toContain('no connect link');
    // A real route: it asks for a login (a missing one would be 404).
    const page = await fetch(connectUrl as string, { headers: { accept: 'application/json' } });
    expect(page.status).toBe(401);
    await page.body?.cancel();
  });

  it('says there is no link, and how to get one, when the vault has no connectUrl', async () => {
    const error = await rejectionOf(
      vaultFor(server, { connectUrl: undefined }).getToken(alice.session, read),
    );
    expect(error).toMatchObject({
      code: 'CONNECTION_REQUIRED',
      message: expect.stringContaining(
        'no connect link: give createTokenVault a connectUrl option to put one in details.connectUrl',
      ),
    });
    expect((error as GateInterrupt).details).not.toHaveProperty('connectUrl');
  });

  it('takes a URL object and hands on its href', async () => {
    const vault = vaultFor(server, {
      connectUrl: ({ connection }) => new URL(`https://app.example/connect/${connection}`),
    });
    const error = await rejectionOf(vault.getToken(alice.session, read));
    expect((error as GateInterrupt).details.connectUrl).toBe(`https://app.example/connect/${CONNECTION}`);
    expect(JSON.stringify((error as GateInterrupt).toJSON())).toContain(
      `"connectUrl":"https://app.example/connect/${CONNECTION}"`,
    );
  });

  it('denies GUARD_FAILED when connectUrl returns no link', async () => {
    const vault = vaultFor(server, { connectUrl: (() => undefined) as never });
    await expect(vault.getToken(alice.session, read)).rejects.toMatchObject({
      code: 'GUARD_FAILED',
      message: `connectUrl for connection '${CONNECTION}' must return the link as a non-empty string or URL`,
    });
  });
});

describe('createTokenVault().getToken', () => {
  it.each([
    ['rfc8693', 'access_token'],
    ['rfc8693', 'refresh_token'],
    ['auth0', 'access_token'],
    ['auth0', 'refresh_token'],
  ] as const)(
    'exchanges for a working provider token (%s, subject %s)',
    async (dialect, subjectTokenType) => {
      await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
      const vault = vaultFor(server, { dialect, subjectTokenType });
      const before = server.connections.exchangeCount({ outcome: 'issued' });
      const token = await vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] });
      expect(token).toMatchObject({ connection: CONNECTION, scopes: ['events.read'] });
      expect(token.expiresAt).toBeGreaterThan(Date.now() / 1000);
      expect(server.connections.exchangeCount({ outcome: 'issued' })).toBe(before + 1);
      const api = await listEvents(server, token.accessToken);
      expect(api).toEqual({ status: 200, body: { user: alice.session.user.sub, items: [] } });
    },
  );

  it.each(dialects)(
    'interrupts with CONNECTION_REQUIRED when the account is not connected (%s)',
    async (dialect) => {
      const vault = vaultFor(server, { dialect });
      const error = await rejectionOf(
        vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] }),
      );
      expect(error).toBeInstanceOf(GateInterrupt);
      expect(error).toMatchObject({
        code: 'CONNECTION_REQUIRED',
        details: {
          connection: CONNECTION,
          requiredScopes: ['events.read'],
          connectUrl: expect.stringContaining(`/connections/${CONNECTION}/connect?scopes=events.read`),
          error: 'invalid_grant',
          status: 400,
        },
      });
      const cause = (error as GateInterrupt).cause;
      expect(TokenExchangeFailed.isInstance(cause)).toBe(true);
      expect(cause).toMatchObject({
        failure: 'not_connected',
        error: 'invalid_grant',
        errorDescription: expect.stringMatching(
          dialect === 'auth0' ? /^federated_connection_refresh_token_not_found/ : /^connection_not_found/,
        ),
        status: 400,
      });
    },
  );

  it.each(dialects)(
    'asks for the union of scopes, and succeeds after the user connects again (%s)',
    async (dialect) => {
      await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
      const vault = vaultFor(server, { dialect });
      await vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] });

      const error = await rejectionOf(
        vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.write', 'events.write'] }),
      );
      expect(error).toMatchObject({
        code: 'CONNECTION_REQUIRED',
        details: {
          connection: CONNECTION,
          requiredScopes: ['events.read', 'events.write'],
          connectUrl: expect.stringContaining('scopes=events.read+events.write'),
          error: 'insufficient_scope',
          failure: 'missing_scopes',
        },
      });

      await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.write'] });
      const upgraded = await vault.getToken(alice.session, {
        connection: CONNECTION,
        scopes: ['events.write'],
      });
      expect([...upgraded.scopes].sort()).toEqual(['events.read', 'events.write']);
      expect(await addEvent(server, upgraded.accessToken, 'Planning')).toBe(201);
    },
  );

  it.each(dialects)('interrupts once the user revoked access at the provider (%s)', async (dialect) => {
    await server.connections.connect(alice.session.user.sub, CONNECTION, {
      scopes: ['events.read', 'events.write'],
    });
    const vault = vaultFor(server, { dialect });
    const token = await vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] });
    server.connections.revokeExternally(alice.session.user.sub, CONNECTION);
    expect((await listEvents(server, token.accessToken)).status).toBe(401);
    await vault.invalidate(alice.session, { connection: CONNECTION, scopes: ['events.read'] });
    await expect(
      vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] }),
    ).rejects.toMatchObject({
      code: 'CONNECTION_REQUIRED',
      // The revoked grant is gone: only what this call needs is asked for.
      details: { requiredScopes: ['events.read'], failure: 'not_connected' },
    });
  });

  it('denies NO_SESSION, without any exchange, when the session has no subject token', async () => {
    const before = server.connections.exchangeCount();
    await expect(
      vaultFor(server).getToken(createSession({ sub: alice.session.user.sub }), {
        connection: CONNECTION,
        scopes: ['events.read'],
      }),
    ).rejects.toMatchObject({ code: 'NO_SESSION' });
    expect(server.connections.exchangeCount()).toBe(before);
  });

  it('denies FORBIDDEN when the subject token is invalid', async () => {
    await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
    const forged = { ...alice.session, subjectToken: async () => `${alice.accessToken}x` };
    const error = await rejectionOf(
      vaultFor(server).getToken(forged, { connection: CONNECTION, scopes: ['events.read'] }),
    );
    expect(error).toBeInstanceOf(GateDenied);
    expect(error).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('subject token invalid'),
      details: { error: 'invalid_grant', status: 400, failure: 'invalid_subject' },
    });
  });

  it("denies FORBIDDEN when the session's token belongs to another user (auth0 login_hint)", async () => {
    await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
    // A session claiming Alice but carrying Bob's token: the login hint names Alice, the token Bob.
    const mixed = { ...alice.session, subjectToken: bob.session.subjectToken };
    const vault = vaultFor(server, { dialect: 'auth0', loginHint: ({ session }) => session.user.sub });
    await expect(
      vault.getToken(mixed, { connection: CONNECTION, scopes: ['events.read'] }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { failure: 'invalid_subject' } });
    const own = await vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] });
    expect((await listEvents(server, own.accessToken)).body.user).toBe(alice.session.user.sub);
  });

  it("never hands Bob Alice's account: Bob's own token finds no connection", async () => {
    await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
    const vault = vaultFor(server, { dialect: 'auth0' });
    await vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] });
    await expect(
      vault.getToken(bob.session, { connection: CONNECTION, scopes: ['events.read'] }),
    ).rejects.toMatchObject({ code: 'CONNECTION_REQUIRED' });
  });

  it('denies GUARD_FAILED for a scope the connection does not have (connecting would not help)', async () => {
    await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
    await expect(
      vaultFor(server).getToken(alice.session, { connection: CONNECTION, scopes: ['mail.send'] }),
    ).rejects.toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringContaining(': the connection does not offer one of the requested scopes'),
      details: { error: 'invalid_scope', failure: 'failed' },
    });
  });

  it('denies GUARD_FAILED when the client secret is wrong', async () => {
    const vault = vaultFor(server, { clientSecret: 'not-the-secret' });
    await expect(
      vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] }),
    ).rejects.toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringContaining(': check clientId and clientSecret / privateKeyJwt'),
      details: { error: 'invalid_client' },
    });
  });

  it('says a connection name the server does not know is not a connect problem (invalid_target)', async () => {
    await expect(
      vaultFor(server).getToken(alice.session, { connection: 'acme-calender', scopes: ['events.read'] }),
    ).rejects.toMatchObject({
      code: 'GUARD_FAILED',
      message: expect.stringContaining(': the server knows no such connection (check its name)'),
      details: { error: 'invalid_target', failure: 'failed' },
    });
  });

  it('authenticates with private_key_jwt when given a key (the dev client is not registered for it)', async () => {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const sent: URLSearchParams[] = [];
    const vault = vaultFor(server, {
      clientSecret: undefined,
      privateKeyJwt: { key: keys.privateKey, kid: 'agent-key-1' },
      // Observes the request on its way to the real server; changes nothing.
      fetch: async (url, init) => {
        if (url.endsWith('/token')) sent.push(new URLSearchParams(String(init.body)));
        return fetch(url, init);
      },
    });
    await expect(
      vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] }),
    ).rejects.toMatchObject({ code: 'GUARD_FAILED', details: { error: 'invalid_client' } });
    expect(sent).toHaveLength(1);
    const body = sent[0]!;
    expect(body.get('client_secret')).toBeNull();
    expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const [header, payload, signature] = body.get('client_assertion')!.split('.');
    const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    expect(decode(header!)).toMatchObject({ alg: 'ES256', kid: 'agent-key-1' });
    expect(decode(payload!)).toMatchObject({ iss: server.clientId, sub: server.clientId });
    const verified = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      keys.publicKey,
      Buffer.from(signature!, 'base64url'),
      Buffer.from(`${header}.${payload}`),
    );
    expect(verified).toBe(true);
  });

  it('puts no token or secret into any error it throws', async () => {
    await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
    const vault = vaultFor(server, { dialect: 'auth0', subjectTokenType: 'refresh_token' });
    const issued = await vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] });
    const errors = [
      await rejectionOf(vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.write'] })),
      await rejectionOf(
        vaultFor(server).getToken(
          { ...alice.session, subjectToken: async () => `${alice.refreshToken}x` },
          { connection: CONNECTION, scopes: ['events.read'] },
        ),
      ),
      await rejectionOf(
        vaultFor(server, { clientSecret: `${server.clientSecret}-wrong` }).getToken(alice.session, {
          connection: CONNECTION,
          scopes: ['events.read'],
        }),
      ),
    ];
    for (const error of errors) {
      const shown = everythingShown(error);
      for (const secret of [alice.accessToken, alice.refreshToken, issued.accessToken, server.clientSecret]) {
        expect(shown).not.toContain(secret);
      }
    }
  });
});
