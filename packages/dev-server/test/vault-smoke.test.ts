import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_TYPE,
  AUTH0_FEDERATED_CONNECTION_GRANT_TYPE,
  AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
  CONNECTION_ACCESS_TOKEN_TYPE,
  REFRESH_TOKEN_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from '../src/vault';
import { startVaultTestServer, type VaultTestServer } from './vault-helpers';

let server: VaultTestServer;
beforeAll(async () => {
  server = await startVaultTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('smoke', () => {
  it('connects and exchanges', async () => {
    const info = await server.connections.connect('alice', 'acme-calendar', { scopes: ['events.read'] });
    expect(info.scopes).toEqual(['events.read']);
    const { refreshToken, accessToken } = await server.login('alice');
    const config = await server.config();
    const auth0 = await client.genericGrantRequest(config, AUTH0_FEDERATED_CONNECTION_GRANT_TYPE, {
      subject_token: refreshToken,
      subject_token_type: REFRESH_TOKEN_TYPE,
      requested_token_type: AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
      connection: 'acme-calendar',
    });
    expect(auth0.scope).toBe('events.read');
    const standard = await client.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT_TYPE, {
      subject_token: accessToken,
      subject_token_type: ACCESS_TOKEN_TYPE,
      requested_token_type: CONNECTION_ACCESS_TOKEN_TYPE,
      audience: 'connection:acme-calendar',
    });
    const response = await fetch(`${server.connections.apiUrl('acme-calendar')}/events`, {
      headers: { authorization: `Bearer ${standard.access_token}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user: 'alice', items: [] });
  });
});
