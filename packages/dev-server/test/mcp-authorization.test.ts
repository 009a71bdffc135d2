import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, defaultSeed, startDevServer } from '../src/index';

const MCP = 'http://127.0.0.1:47001/mcp';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

let server: DevServer;

beforeAll(async () => {
  // A second client: the one an MCP client's tokens are issued to, not the one that exchanges them.
  const mcpClient = {
    ...defaultSeed.clients[0]!,
    clientId: 'mcp-client',
    clientSecret: 'mcp-client-secret',
    name: 'MCP client',
  };
  server = await startDevServer({
    fga: false,
    seed: { ...defaultSeed, clients: [...defaultSeed.clients, mcpClient] },
    resourceServers: [{ resource: MCP, scopes: ['calendar:read'] }],
  });
});
afterAll(async () => {
  await server.close();
});

async function agentConfig() {
  const agent = server.clients[0]!;
  return client.discovery(new URL(server.issuer), agent.clientId, agent.clientSecret, undefined, {
    execute: [client.allowInsecureRequests],
  });
}

describe('the dev server as MCP authorization server', () => {
  it('registers public clients dynamically (RFC 7591), keeping only OIDC scopes in the registration', async () => {
    const config = await agentConfig();
    expect(config.serverMetadata().registration_endpoint).toBe(server.url('/oauth/register'));
    const response = await fetch(server.url('/oauth/register'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'An MCP client',
        redirect_uris: ['http://127.0.0.1:47002/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        scope: 'openid calendar:read',
      }),
    });
    expect(response.status).toBe(201);
    const registered = (await response.json()) as Record<string, unknown>;
    expect(registered.client_id).toEqual(expect.any(String));
    expect(registered.client_secret).toBeUndefined();
    expect(registered.token_endpoint_auth_method).toBe('none');
    expect(registered.scope).toBe('openid');
  });

  it('registers only public authorization-code clients, with loopback or https redirect URIs', async () => {
    const register = (metadata: Record<string, unknown>) =>
      fetch(server.url('/oauth/register'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:47002/callback'], ...metadata }),
      });
    // A self-registered confidential client would be "any authenticated client": refused, whatever it asks for.
    for (const metadata of [
      { token_endpoint_auth_method: 'client_secret_basic' },
      { token_endpoint_auth_method: 'client_secret_post' },
      { token_endpoint_auth_method: 'none', grant_types: ['client_credentials'], response_types: [] },
      { token_endpoint_auth_method: 'none', grant_types: ['authorization_code', EXCHANGE] },
      {
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:openid:params:grant-type:ciba'],
        response_types: [],
      },
      { token_endpoint_auth_method: 'none', redirect_uris: ['http://evil.example/callback'] },
      { token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1.evil.example/callback'] },
    ]) {
      const response = await register(metadata);
      expect(response.status, JSON.stringify(metadata)).toBe(400);
      expect(await response.json()).toMatchObject({
        error: expect.stringMatching(/^invalid_(client_metadata|redirect_uri)$/),
      });
    }
    // No method named: registered as a public client (RFC 7591 lets the server choose), never with a secret.
    const defaulted = await register({});
    expect(defaulted.status).toBe(201);
    const registered = (await defaulted.json()) as Record<string, unknown>;
    expect(registered.token_endpoint_auth_method).toBe('none');
    expect(registered).not.toHaveProperty('client_secret');
    for (const redirect of [
      'http://localhost:47002/cb',
      'http://[::1]:47002/cb',
      'https://client.example/cb',
    ]) {
      const response = await register({ token_endpoint_auth_method: 'none', redirect_uris: [redirect] });
      expect(response.status, redirect).toBe(201);
    }
  });

  it('issues tokens bound to a resource server with only its scopes, and refuses unknown resources', async () => {
    const tokens = await server.login('alice@acme', {
      resource: MCP,
      scope: 'openid calendar:read docs:read',
    });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: MCP, scope: 'calendar:read', sub: 'alice' });
    await expect(
      server.login('alice@acme', { resource: 'http://127.0.0.1:47003/other', scope: 'openid calendar:read' }),
    ).rejects.toThrow();
    expect(() => server.addResourceServer({ resource: 'not a url', scopes: ['a'] })).toThrow(TypeError);
    expect(() => server.addResourceServer({ resource: `${MCP}#fragment`, scopes: ['a'] })).toThrow(TypeError);
    expect(() => server.addResourceServer({ resource: MCP, scopes: [] })).toThrow(TypeError);
  });

  it('issues on-behalf-of tokens with act, nests act when delegated again, and never widens scopes', async () => {
    const config = await agentConfig();
    // Issued to another client for the MCP resource: accepted because that resource received it.
    const user = await server.login('bob@acme', {
      clientId: 'mcp-client',
      resource: MCP,
      scope: 'openid calendar:read',
    });
    const exchange = (subjectToken: string, parameters: Record<string, string> = {}) =>
      client.genericGrantRequest(config, EXCHANGE, {
        subject_token: subjectToken,
        subject_token_type: ACCESS_TOKEN,
        audience: server.apiAudience,
        ...parameters,
      });

    const first = await exchange(user.access_token);
    expect(first.issued_token_type).toBe(ACCESS_TOKEN);
    // The MCP token carried calendar:read only; of the API's scopes, that is all the delegated token gets.
    expect(decodeJwt(first.access_token)).toMatchObject({
      sub: 'bob',
      aud: server.apiAudience,
      client_id: 'agentgate-agent',
      act: { sub: 'agentgate-agent' },
      scope: 'calendar:read',
      tenant: 'acme',
    });
    const again = await exchange(first.access_token, { scope: 'calendar:read' });
    expect(decodeJwt(again.access_token).act).toEqual({
      sub: 'agentgate-agent',
      act: { sub: 'agentgate-agent' },
    });

    await expect(exchange(user.access_token, { scope: 'calendar:write' })).rejects.toMatchObject({
      error: 'invalid_scope',
    });
    await expect(exchange('not-a-token')).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it("refuses an on-behalf-of exchange of a resource's token by a client that does not serve it", async () => {
    const guarded = 'http://127.0.0.1:47004/mcp';
    server.addResourceServer({
      resource: guarded,
      scopes: ['calendar:read'],
      clientId: 'another-mcp-server',
    });
    const user = await server.login('bob@acme', {
      clientId: 'mcp-client',
      resource: guarded,
      scope: 'openid calendar:read',
    });
    await expect(
      client.genericGrantRequest(await agentConfig(), EXCHANGE, {
        subject_token: user.access_token,
        subject_token_type: ACCESS_TOKEN,
        audience: server.apiAudience,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses on-behalf-of exchanges by public clients (open registration cannot add the grant)', async () => {
    const registration = await fetch(server.url('/oauth/register'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: ['http://127.0.0.1:47002/callback'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(registration.status).toBe(201);
    const { client_id: clientId } = (await registration.json()) as { client_id: string };
    const config = await client.discovery(new URL(server.issuer), clientId, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const user = await server.login('bob@acme', { resource: MCP, scope: 'openid calendar:read' });
    await expect(
      client.genericGrantRequest(config, EXCHANGE, {
        subject_token: user.access_token,
        subject_token_type: ACCESS_TOKEN,
        audience: server.apiAudience,
      }),
    ).rejects.toMatchObject({ error: expect.stringMatching(/^(unauthorized_client|invalid_request)$/) });
  });
});
