import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, defaultSeed, startDevServer } from '../src/index';
import {
  ACCESS_TOKEN_TYPE,
  CONNECTION_ACCESS_TOKEN_TYPE,
  GRANT_ID_CLAIM,
  SUBJECT_TOKEN_INVALID,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from '../src/vault';
import { clientConfig } from './helpers';

const connection = 'acme-calendar';
// A client whose id happens to equal a user's sub: its client_credentials token has `sub: alice`.
const lookalike = {
  clientId: 'alice',
  clientSecret: 'lookalike-secret',
  name: 'Lookalike',
  redirectUris: ['http://127.0.0.1:3000/callback'],
  grantTypes: [...(defaultSeed.clients[0]?.grantTypes ?? [])],
};

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({
    fga: false,
    seed: { ...defaultSeed, clients: [...defaultSeed.clients, lookalike] },
  });
  await server.connections.connect('alice@acme', connection, { scopes: ['events.read'] });
});
afterAll(async () => {
  await server.close();
});

function exchange(config: client.Configuration, accessToken: string) {
  return client.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT_TYPE, {
    subject_token: accessToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    requested_token_type: CONNECTION_ACCESS_TOKEN_TYPE,
    audience: `connection:${connection}`,
  });
}

describe('JWT subject tokens', () => {
  it('refuses a client_credentials token even when its sub names a user', async () => {
    const config = await clientConfig(server, { clientId: 'alice' });
    const { access_token } = await client.clientCredentialsGrant(config, {
      scope: 'orders:read',
      resource: server.apiAudience,
    });
    expect(decodeJwt(access_token)).toMatchObject({ sub: 'alice', client_id: 'alice' });
    await expect(exchange(config, access_token)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: SUBJECT_TOKEN_INVALID,
    });
  });

  it("stops exchanging a login's JWT once the login is revoked", async () => {
    const config = await clientConfig(server);
    const tokens = await server.login('alice@acme');
    expect(decodeJwt(tokens.access_token)[GRANT_ID_CLAIM]).toEqual(expect.any(String));
    await expect(exchange(config, tokens.access_token)).resolves.toMatchObject({ scope: 'events.read' });

    await client.tokenRevocation(config, tokens.refresh_token ?? '');
    await expect(exchange(config, tokens.access_token)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: SUBJECT_TOKEN_INVALID,
    });
  });
});
