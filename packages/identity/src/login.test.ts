import { createGate } from '@agentgate/core';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AUDIENCE, type LocalIssuer, startLocalIssuer } from '../test/helpers/local-issuer';
import { LoginFailed, TokenVerificationFailed } from './errors';
import { requireActiveSession } from './guards/require-active-session';
import { createLogin } from './login';

let idp: LocalIssuer;
beforeAll(async () => {
  idp = await startLocalIssuer();
});
afterAll(async () => {
  await idp.close();
});

const base = () => ({
  issuer: idp.issuer,
  clientId: 'agent-app',
  clientSecret: 'agent-secret',
  redirectUri: 'http://127.0.0.1:3000/callback',
  audience: AUDIENCE,
  allowInsecureRequests: true,
});

describe('createLogin', () => {
  it.each([
    ['no client credentials', { clientSecret: undefined }],
    ['both a secret and a private key', { privateKeyJwt: { key: {} as CryptoKey } }],
    ['an http issuer without allowInsecureRequests', { allowInsecureRequests: false }],
    ['no audience or resource', { audience: undefined }],
    ['a scope without openid', { scope: 'profile' }],
    ['a redirect URI that is not a URL', { redirectUri: 'callback' }],
    ['an unknown client authentication', { clientAuthentication: 'tls_client_auth' }],
  ])('throws a TypeError at creation for %s', (_label, override) => {
    expect(() => createLogin({ ...base(), ...override } as never)).toThrow(TypeError);
  });

  it('accepts a private key for private_key_jwt', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    expect(() =>
      createLogin({ ...base(), clientSecret: undefined, privateKeyJwt: { key: privateKey, kid: 'k1' } }),
    ).not.toThrow();
  });

  it('builds an authorization URL with PKCE S256, state, nonce and step-up parameters', async () => {
    const login = createLogin({ ...base(), resource: AUDIENCE });
    const { url, checks } = await login.createAuthorization({
      maxAge: 120,
      acrValues: 'urn:agentgate:loa:2',
    });
    expect(url.origin + url.pathname).toBe(`${idp.issuer}authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'agent-app',
      response_type: 'code',
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
      max_age: '120',
      acr_values: 'urn:agentgate:loa:2',
      resource: AUDIENCE,
    });
    expect(checks.codeVerifier.length).toBeGreaterThanOrEqual(43);
    expect(url.href).not.toContain(checks.codeVerifier);
    expect(checks.maxAge).toBe(120);
  });

  it('fails closed with a typed error when the provider cannot be reached', async () => {
    const gone = await startLocalIssuer();
    await gone.close();
    const login = createLogin({ ...base(), issuer: gone.issuer });
    await expect(login.createAuthorization()).rejects.toMatchObject({
      code: 'NO_SESSION',
      reason: 'unavailable',
    });
  });
});

describe('Login.verifyAccessToken', () => {
  it('gives sessions whose revalidate() introspects the token: a revoked token stops the call', async () => {
    const login = createLogin(base());
    const token = await idp.sign();
    const session = await login.verifyAccessToken(token);
    await expect(session.revalidate?.()).resolves.toBeUndefined();

    const gate = createGate({ audit: false });
    const execute = vi.fn(async () => 'ok');
    await expect(
      gate.run({ tool: { name: 'pay' }, args: {} }, session, [requireActiveSession()], execute),
    ).resolves.toBe('ok');
    idp.revoked.add(token);
    const error = await gate
      .run({ tool: { name: 'pay' }, args: {} }, session, [requireActiveSession()], execute)
      .catch((caught: unknown) => caught);
    expect(TokenVerificationFailed.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'NO_SESSION', reason: 'inactive', guard: 'requireActiveSession' });
    expect(execute).toHaveBeenCalledOnce();
    expect(idp.requests.filter((path) => path === '/introspect')).toHaveLength(3);
  });

  it('fails closed when introspection is refused (wrong client secret)', async () => {
    const login = createLogin({ ...base(), clientSecret: 'wrong' });
    const session = await login.verifyAccessToken(await idp.sign());
    const error = await session.revalidate?.().catch((caught: unknown) => caught);
    expect(LoginFailed.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'NO_SESSION' });
    expect((error as Error).message).not.toContain('wrong');
  });

  it('honours an aborted signal on introspection', async () => {
    const login = createLogin(base());
    const session = await login.verifyAccessToken(await idp.sign());
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(session.revalidate?.({ signal: controller.signal })).rejects.toThrow('stop');
  });
});
