import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';
import { clientConfig, PageSession, verifyApiToken } from './helpers';

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ fga: false });
});
afterAll(async () => {
  await server.close();
});

describe('startDevServer discovery', () => {
  it('publishes Auth0-compatible routes under an issuer with a trailing slash', async () => {
    expect(server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const config = await clientConfig(server);
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.issuer);
    expect(metadata.authorization_endpoint).toBe(server.url('/authorize'));
    expect(metadata.token_endpoint).toBe(server.url('/oauth/token'));
    expect(metadata.backchannel_authentication_endpoint).toBe(server.url('/bc-authorize'));
    expect(metadata.userinfo_endpoint).toBe(server.url('/userinfo'));
    expect(metadata.jwks_uri).toBe(server.url('/.well-known/jwks.json'));
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.authorization_details_types_supported).toEqual(
      expect.arrayContaining(['refund', 'payment', 'calendar_event', 'agent_action']),
    );
    expect(metadata.backchannel_token_delivery_modes_supported).toEqual(['poll']);
  });

  it('rejects invalid options eagerly', async () => {
    await expect(startDevServer({ port: -1 })).rejects.toThrow(TypeError);
    await expect(startDevServer({ cibaIntervalSeconds: 0 })).rejects.toThrow(/cibaIntervalSeconds/);
    await expect(
      startDevServer({ seed: { ...server.seed, users: [{ username: 'x' }] } as never, fga: false }),
    ).rejects.toThrow(/seed\.users\[0\]\.password/);
  });
});

describe('DevServer.login', () => {
  it('returns real tokens: an RFC 9068 access token and an ID token with tenant, roles, acr and amr', async () => {
    const tokens = await server.login('alice@acme');
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.expires_in).toBeGreaterThan(0);

    const jwks = createRemoteJWKSet(new URL(server.url('/.well-known/jwks.json')));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: server.issuer,
      audience: server.apiAudience,
      typ: 'at+jwt',
      algorithms: ['ES256'],
      requiredClaims: ['sub', 'scope', 'client_id', 'exp', 'iat', 'jti'],
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({
      sub: 'alice',
      client_id: 'agentgate-agent',
      tenant: 'acme',
      roles: ['admin', 'support'],
    });
    expect(String(payload.scope).split(' ')).toEqual(
      expect.arrayContaining(['calendar:read', 'refunds:write']),
    );
    expect(payload).toMatchObject({
      acr: 'urn:agentgate:loa:1',
      amr: ['pwd'],
      auth_time: expect.any(Number),
    });

    const idToken = await jwtVerify(tokens.id_token ?? '', jwks, {
      issuer: server.issuer,
      audience: 'agentgate-agent',
    });
    expect(idToken.payload).toMatchObject({
      sub: 'alice',
      acr: 'urn:agentgate:loa:1',
      amr: ['pwd'],
      tenant: 'acme',
    });
    expect(idToken.payload.auth_time).toEqual(expect.any(Number));
  });

  it('steps up to LoA 2 with the one-time code when acr_values asks for it', async () => {
    const tokens = await server.login('bob@acme', { acrValues: 'urn:agentgate:loa:2', maxAge: 0 });
    expect(decodeJwt(tokens.id_token ?? '')).toMatchObject({
      sub: 'bob',
      acr: 'urn:agentgate:loa:2',
      amr: ['pwd', 'otp'],
    });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ acr: 'urn:agentgate:loa:2', amr: ['pwd', 'otp'] });
    const refreshed = await client.refreshTokenGrant(await clientConfig(server), tokens.refresh_token ?? '');
    expect(decodeJwt(refreshed.access_token)).toMatchObject({
      acr: 'urn:agentgate:loa:2',
      amr: ['pwd', 'otp'],
    });
  });

  it('narrows scopes to what was asked for', async () => {
    const tokens = await server.login('carol@globex', { scope: 'openid docs:read' });
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      sub: 'carol',
      scope: 'docs:read',
      tenant: 'globex',
    });
    expect(tokens.refresh_token).toBeUndefined();
  });

  it('fails with a clear error on a wrong password', async () => {
    await expect(server.login('alice@acme', { password: 'wrong' })).rejects.toThrow(
      /rejected the credentials/,
    );
    await expect(server.login('mallory@acme')).rejects.toThrow(TypeError);
  });
});

describe('login and consent pages', () => {
  it('sign in by hand: login form, consent page, code with PKCE', async () => {
    const config = await clientConfig(server);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:3000/callback',
      scope: 'openid profile calendar:read',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      login_hint: 'bob@acme',
    });
    const browser = new PageSession();
    const first = await browser.follow(authorizationUrl);
    const loginHtml = await first.response.text();
    expect(first.url.pathname).toMatch(/^\/interaction\//);
    expect(loginHtml).toContain('AgentGate Demo Agent');
    expect(loginHtml).toContain('value="bob@acme"');

    const action = /action="(\/interaction\/[\w-]+\/login)"/.exec(loginHtml)?.[1] ?? '';
    const wrong = await browser.request(new URL(action, first.url), {
      form: { username: 'bob@acme', password: 'nope' },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Unknown username or wrong password.');

    const loggedIn = await browser.request(new URL(action, first.url), {
      form: { username: 'bob@acme', password: 'bob-password' },
    });
    const consent = await browser.follow(new URL(action, first.url), loggedIn);
    const consentHtml = await consent.response.text();
    expect(consentHtml).toContain('calendar:read');
    const confirm = /action="(\/interaction\/[\w-]+\/confirm)"/.exec(consentHtml)?.[1] ?? '';
    let response = await browser.request(new URL(confirm, consent.url), { form: {} });
    let location = new URL(response.headers.get('location') ?? '', consent.url);
    while (!location.href.startsWith('http://127.0.0.1:3000/callback')) {
      response = await browser.request(location);
      location = new URL(response.headers.get('location') ?? '', location);
    }
    const tokens = await client.authorizationCodeGrant(config, location, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: 'bob', scope: 'calendar:read' });
  });

  it('serves /userinfo for a token requested with OIDC scopes only (no API audience)', async () => {
    const config = await clientConfig(server);
    const tokens = await server.login('bob@acme', { scope: 'openid profile email' });
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, 'bob');
    expect(userinfo).toMatchObject({
      sub: 'bob',
      name: 'Bob Brown',
      email: 'bob@acme.example',
      tenant: 'acme',
    });
    const apiTokens = await server.login('bob@acme');
    await expect(client.fetchUserInfo(config, apiTokens.access_token, 'bob')).rejects.toThrow();
  });

  it('puts consented authorization_details into the code flow tokens', async () => {
    const config = await clientConfig(server);
    const verifier = client.randomPKCECodeVerifier();
    const details = [
      { type: 'calendar_event', action: 'create', title: 'Board <meeting>', start: '2026-12-01T09:00Z' },
    ];
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:3000/callback',
      scope: 'openid calendar:write',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify(details),
    });
    const browser = new PageSession();
    const consent = await browser.signIn(url, 'alice@acme', 'alice-password');
    const html = await consent.response.text();
    expect(html).toContain('Create calendar event &quot;Board &lt;meeting&gt;&quot; at 2026-12-01T09:00Z');
    const confirm = /action="(\/interaction\/[\w-]+\/confirm)"/.exec(html)?.[1] ?? '';
    const confirmUrl = new URL(confirm, consent.url);
    let response = await browser.request(confirmUrl, { form: {} });
    let location = new URL(response.headers.get('location') ?? '', confirmUrl);
    while (!location.href.startsWith('http://127.0.0.1:3000/callback')) {
      response = await browser.request(location);
      location = new URL(response.headers.get('location') ?? '', location);
    }
    const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier });
    expect(tokens.authorization_details).toEqual(details);
    expect(decodeJwt(tokens.access_token).authorization_details).toEqual(details);
  });

  it('refuses an authorization request without PKCE', async () => {
    const url = new URL(server.url('/authorize'));
    url.search = new URLSearchParams({
      client_id: 'agentgate-agent',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: 'http://127.0.0.1:3000/callback',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('reads Auth0 `audience` on /authorize as the resource indicator', async () => {
    const config = await clientConfig(server);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:3000/callback',
      scope: 'openid docs:read',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      audience: 'https://unknown.example/',
    });
    const response = await fetch(url, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.searchParams.get('error')).toBe('invalid_target');
  });

  it('escapes reflected input on the login page', async () => {
    const config = await clientConfig(server);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:3000/callback',
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      login_hint: '"><script>alert(1)</script>',
    });
    const { response } = await new PageSession().follow(url);
    const html = await response.text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&quot;&gt;&lt;script&gt;');
  });
});

describe('token endpoint', () => {
  it('rotates refresh tokens and rejects the used one', async () => {
    const config = await clientConfig(server);
    const tokens = await server.login('alice@acme');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ sub: 'alice', tenant: 'acme' });
    await expect(client.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('issues client_credentials JWTs for the API with client_secret_post', async () => {
    const config = await clientConfig(server, { auth: 'post' });
    const tokens = await client.clientCredentialsGrant(config, {
      scope: 'orders:read',
      resource: server.apiAudience,
    });
    const { payload } = await verifyApiToken(server, tokens.access_token);
    expect(payload).toMatchObject({
      client_id: 'agentgate-agent',
      scope: 'orders:read',
      sub: 'agentgate-agent',
    });
  });

  it('accepts Auth0-style JSON bodies with client_secret and audience', async () => {
    const response = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: 'agentgate-agent',
        client_secret: 'agentgate-agent-secret',
        audience: server.apiAudience,
        scope: 'docs:read',
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; expires_in: number; scope: string };
    expect(body.scope).toBe('docs:read');
    expect(body.expires_in).toBeGreaterThan(0);
    expect(decodeJwt(body.access_token).aud).toBe(server.apiAudience);

    const wrongSecret = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: 'agentgate-agent',
        client_secret: 'nope',
      }),
    });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });

    const malformed = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('still refuses repeated form parameters after normalizing the body', async () => {
    const response = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('agentgate-agent:agentgate-agent-secret').toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=docs:read&scope=orders:read',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringContaining('scope'),
    });
  });

  it('introspects and revokes', async () => {
    const config = await clientConfig(server);
    const tokens = await server.login('alice@acme');
    const active = await client.tokenIntrospection(config, tokens.refresh_token ?? '');
    expect(active).toMatchObject({ active: true, sub: 'alice', client_id: 'agentgate-agent' });
    await client.tokenRevocation(config, tokens.refresh_token ?? '');
    expect(await client.tokenIntrospection(config, tokens.refresh_token ?? '')).toMatchObject({
      active: false,
    });
  });
});
