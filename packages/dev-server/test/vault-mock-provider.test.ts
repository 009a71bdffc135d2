import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTH0_FEDERATED_CONNECTION_GRANT_TYPE,
  AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
  REFRESH_TOKEN_TYPE,
} from '../src/vault';
import { startVaultTestServer, type VaultTestServer } from './vault-helpers';

const connection = 'acme-calendar';
let server: VaultTestServer;
let alice: { accessToken: string; refreshToken: string; cookie: string };

async function exchange() {
  return client.genericGrantRequest(await server.config(), AUTH0_FEDERATED_CONNECTION_GRANT_TYPE, {
    subject_token: alice.refreshToken,
    subject_token_type: REFRESH_TOKEN_TYPE,
    requested_token_type: AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
    connection,
  });
}

function events(token?: string, init: RequestInit = {}) {
  return fetch(`${server.connections.apiUrl(connection)}/events`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
  });
}

beforeAll(async () => {
  server = await startVaultTestServer({ externalTokenTtlSeconds: 2 });
  alice = await server.login(server.users.alice.login);
  await server.connections.connect(server.users.alice.login, connection, {
    scopes: ['events.read', 'events.write'],
  });
});

afterAll(async () => {
  await server?.close();
});

describe('mock external provider API', () => {
  it('answers 401 without a token and 401 invalid_token for an unknown one', async () => {
    const missing = await events();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(`Bearer realm="${connection}"`);
    const unknown = await events('not-a-token');
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('stores events per user through POST and returns them on GET', async () => {
    const { access_token } = await exchange();
    const created = await events(access_token, { method: 'POST', body: JSON.stringify({ title: 'Review' }) });
    expect(created.status).toBe(201);
    const item = (await created.json()) as { id: string; title: string };
    expect(item.title).toBe('Review');
    const listed = await events(access_token);
    expect(await listed.json()).toEqual({ user: server.users.alice.sub, items: [item] });
  });

  it('refuses a token after it expired, and the exchange refreshes transparently', async () => {
    const first = await exchange();
    expect(first.expires_in).toBeLessThanOrEqual(2);
    expect((await events(first.access_token)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const expired = await events(first.access_token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const second = await exchange();
    expect(second.access_token).not.toBe(first.access_token);
    expect((await events(second.access_token)).status).toBe(200);
    expect(server.connections.list(server.users.alice.sub)).toHaveLength(1);
  });

  it('refreshes once for concurrent exchanges after expiry', async () => {
    const first = await exchange();
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const results = await Promise.all(Array.from({ length: 5 }, () => exchange()));
    const tokens = new Set(results.map((result) => result.access_token));
    expect(tokens.size).toBe(1);
    expect(tokens.has(first.access_token)).toBe(false);
  });

  it('keeps the cached access token sealed in the store', async () => {
    const { access_token } = await exchange();
    const dump = JSON.stringify(server.connections.storeSnapshot());
    expect(dump).not.toContain(access_token);
  });

  it('rejects a token request without valid client authentication', async () => {
    const response = await fetch(`${server.issuer}/ext/${connection}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: 'anything',
        client_id: 'agentgate-dev-vault',
        client_secret: 'wrong',
      }).toString(),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses an authorization request for an unregistered redirect_uri without redirecting', async () => {
    const url = new URL(`${server.issuer}/ext/${connection}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'agentgate-dev-vault',
      redirect_uri: 'https://attacker.example/callback',
      scope: 'events.read',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    }).toString();
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: alice.cookie } });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });
});

describe('mock external provider client authentication', () => {
  it.each([
    ['a malformed percent-escape', `${encodeURIComponent('agentgate-dev-vault')}:%E0%A4%A`],
    ['no separator', 'agentgate-dev-vault'],
    ['an empty client id', ':secret'],
  ])('answers invalid_client for Basic credentials with %s', async (_label, credentials) => {
    for (const endpoint of ['token', 'revoke']) {
      const response = await fetch(`${server.issuer}/ext/${connection}/${endpoint}`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', token: 'x' }).toString(),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    }
  });
});
