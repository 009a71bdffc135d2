import * as client from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_TYPE,
  AUTH0_FEDERATED_CONNECTION_GRANT_TYPE,
  AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
  AUTH0_REFRESH_TOKEN_NOT_FOUND,
  CONNECTION_ACCESS_TOKEN_TYPE,
  CONNECTION_NOT_FOUND,
  REFRESH_TOKEN_TYPE,
  SUBJECT_TOKEN_INVALID,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from '../src/vault';
import { startVaultTestServer, type VaultTestServer } from './vault-helpers';

const connection = 'acme-calendar';
let server: VaultTestServer;
let alice: { accessToken: string; refreshToken: string };
let bob: { accessToken: string; refreshToken: string };
let aliceOpaque: { accessToken: string; refreshToken: string };

type Dialect = 'standard' | 'auth0';
type SubjectKind = 'access' | 'refresh';

/** One exchange through openid-client, in either dialect. */
async function exchange(
  dialect: Dialect,
  subject: { accessToken: string; refreshToken: string },
  options: {
    kind?: SubjectKind;
    scope?: string;
    loginHint?: string;
    clientId?: string;
    target?: string;
  } = {},
) {
  const { kind = 'refresh', clientId } = options;
  const config = await server.config(clientId);
  const subjectParameters = {
    subject_token: kind === 'refresh' ? subject.refreshToken : subject.accessToken,
    subject_token_type: kind === 'refresh' ? REFRESH_TOKEN_TYPE : ACCESS_TOKEN_TYPE,
    ...(options.scope ? { scope: options.scope } : {}),
  };
  if (dialect === 'auth0') {
    return client.genericGrantRequest(config, AUTH0_FEDERATED_CONNECTION_GRANT_TYPE, {
      ...subjectParameters,
      requested_token_type: AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
      connection: options.target ?? connection,
      ...(options.loginHint ? { login_hint: options.loginHint } : {}),
    });
  }
  return client.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT_TYPE, {
    ...subjectParameters,
    requested_token_type: CONNECTION_ACCESS_TOKEN_TYPE,
    audience: options.target ?? `connection:${connection}`,
  });
}

async function callApi(accessToken: string, method: 'GET' | 'POST' = 'GET') {
  return fetch(`${server.connections.apiUrl(connection)}/events`, {
    method,
    headers: {
      authorization: `Bearer ${accessToken}`,
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
    },
    ...(method === 'POST' ? { body: JSON.stringify({ title: 'Standup' }) } : {}),
  });
}

beforeAll(async () => {
  server = await startVaultTestServer();
  alice = await server.login(server.users.alice.login);
  bob = await server.login(server.users.bob.login);
  aliceOpaque = await server.login(server.users.alice.login, undefined, { opaqueAccessToken: true });
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  for (const user of [server.users.alice.sub, server.users.bob.sub]) {
    await server.connections.disconnect(user, connection);
  }
});

describe('token exchange', () => {
  it.each([
    ['standard', 'refresh', 'jwt'],
    ['standard', 'access', 'jwt'],
    ['standard', 'access', 'opaque'],
    ['auth0', 'refresh', 'jwt'],
    ['auth0', 'access', 'jwt'],
    ['auth0', 'access', 'opaque'],
  ] as const)(
    'issues a working external token (%s dialect, %s token subject, %s)',
    async (dialect, kind, format) => {
      await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
      const subject = format === 'opaque' ? aliceOpaque : alice;
      expect(subject.accessToken.split('.').length === 3).toBe(format === 'jwt');
      const response = await exchange(dialect, subject, { kind, scope: 'events.read' });
      expect(response).toMatchObject({
        token_type: 'bearer',
        scope: 'events.read',
        issued_token_type:
          dialect === 'auth0' ? AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE : CONNECTION_ACCESS_TOKEN_TYPE,
      });
      expect(response.expires_in).toBeGreaterThan(0);
      expect(response.expires_in).toBeLessThanOrEqual(300);
      const api = await callApi(response.access_token);
      expect(api.status).toBe(200);
      expect(await api.json()).toEqual({ user: server.users.alice.sub, items: [] });
      // The token carries only the granted scopes: writing is refused.
      const write = await callApi(response.access_token, 'POST');
      expect(write.status).toBe(403);
      expect(write.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    },
  );

  it("accepts Auth0's JSON wire with client_secret in the body", async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    const response = await fetch(`${server.issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        grant_type: AUTH0_FEDERATED_CONNECTION_GRANT_TYPE,
        client_id: server.clientIds.agent,
        client_secret: 'agentgate-agent-secret',
        subject_token: alice.refreshToken,
        subject_token_type: REFRESH_TOKEN_TYPE,
        requested_token_type: AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
        connection,
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'events.read' });
    expect(body['expires_in']).toEqual(expect.any(Number));
    expect((await callApi(String(body['access_token']))).status).toBe(200);
  });

  it('names the connection by its API URL as resource in the standard dialect', async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    const response = await exchange('standard', alice, { target: server.connections.apiUrl(connection) });
    expect(response.scope).toBe('events.read');
  });

  it.each([
    ['standard', CONNECTION_NOT_FOUND],
    ['auth0', AUTH0_REFRESH_TOKEN_NOT_FOUND],
  ] as const)('answers invalid_grant with the not-connected marker (%s)', async (dialect, marker) => {
    await expect(exchange(dialect, alice)).rejects.toMatchObject({
      error: 'invalid_grant',
      status: 400,
      error_description: expect.stringContaining(`${marker}:`),
    });
  });

  it('answers insufficient_scope listing the missing scopes, then succeeds after connecting again', async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    await expect(exchange('auth0', alice, { scope: 'events.read events.write' })).rejects.toMatchObject({
      error: 'insufficient_scope',
      status: 403,
      cause: { scope: 'events.write' },
    });
    const upgraded = await server.connections.connect(server.users.alice.login, connection, {
      scopes: ['events.write'],
    });
    expect(upgraded.scopes).toEqual(['events.read', 'events.write']);
    const response = await exchange('auth0', alice, { scope: 'events.read events.write' });
    expect(response.scope).toBe('events.read events.write');
    expect((await callApi(response.access_token, 'POST')).status).toBe(201);
  });

  it('answers invalid_scope for a scope the connection does not have', async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    await expect(exchange('standard', alice, { scope: 'mail.send' })).rejects.toMatchObject({
      error: 'invalid_scope',
    });
  });

  it.each(['standard', 'auth0'] as const)(
    'answers invalid_target / invalid_request for an unknown connection (%s)',
    async (dialect) => {
      await expect(
        exchange(dialect, alice, { target: dialect === 'auth0' ? 'acme-mail' : 'connection:acme-mail' }),
      ).rejects.toMatchObject({ error: dialect === 'auth0' ? 'invalid_request' : 'invalid_target' });
    },
  );

  it("uses the subject's own connection: Bob's token never yields Alice's account", async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    await expect(exchange('auth0', bob)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringContaining(AUTH0_REFRESH_TOKEN_NOT_FOUND),
    });
    await expect(exchange('auth0', bob, { loginHint: server.users.alice.sub })).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringContaining(SUBJECT_TOKEN_INVALID),
    });
    const own = await exchange('auth0', alice, { loginHint: server.users.alice.sub });
    expect(own.scope).toBe('events.read');
  });

  it.each(['access', 'refresh'] as const)(
    'rejects a %s token that is invalid or issued to another client',
    async (kind) => {
      await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
      const forged = { accessToken: `${alice.accessToken}x`, refreshToken: `${alice.refreshToken}x` };
      await expect(exchange('standard', forged, { kind })).rejects.toMatchObject({
        error: 'invalid_grant',
        error_description: SUBJECT_TOKEN_INVALID,
      });
      await expect(
        exchange('standard', alice, { kind, clientId: server.clientIds.other }),
      ).rejects.toMatchObject({
        error: 'invalid_grant',
        error_description: SUBJECT_TOKEN_INVALID,
      });
    },
  );

  it('drops a connection the user revoked at the provider and answers not connected', async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    const before = await exchange('auth0', alice);
    server.connections.revokeExternally(server.users.alice.sub, connection);
    expect((await callApi(before.access_token)).status).toBe(401);
    await expect(exchange('auth0', alice)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringContaining(AUTH0_REFRESH_TOKEN_NOT_FOUND),
    });
    expect(server.connections.list(server.users.alice.sub)).toEqual([]);
  });

  it('counts the exchanges it handled', async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    const issued = server.connections.exchangeCount({
      connection,
      outcome: 'issued',
      sub: server.users.alice.sub,
    });
    const errors = server.connections.exchangeCount({ outcome: 'error' });
    await Promise.all([exchange('auth0', alice), exchange('auth0', alice), exchange('standard', alice)]);
    await exchange('auth0', bob).catch(() => undefined);
    expect(
      server.connections.exchangeCount({ connection, outcome: 'issued', sub: server.users.alice.sub }),
    ).toBe(issued + 3);
    expect(server.connections.exchangeCount({ outcome: 'error' })).toBe(errors + 1);
    expect(
      server.connections.exchangeCount({
        outcome: 'error',
        error: 'invalid_grant',
        sub: server.users.bob.sub,
      }),
    ).toBeGreaterThan(0);
  });
});
