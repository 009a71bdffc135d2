import { GateDenied, isGateDenied } from '@agentgate/core';
import { base64url, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, type LocalIssuer, startLocalIssuer } from '../test/helpers/local-issuer';
import { claimMappings } from './claim-mappings';
import { TokenVerificationFailed } from './errors';
import { createAccessTokenVerifier, verifyAccessToken } from './verify-access-token';

let idp: LocalIssuer;
let other: LocalIssuer;
let twin: LocalIssuer;

beforeAll(async () => {
  idp = await startLocalIssuer();
  other = await startLocalIssuer();
  twin = await startLocalIssuer({ kid: 'shared-kid' });
});
afterAll(async () => {
  await Promise.all([idp.close(), other.close(), twin.close()]);
});

const now = () => Math.floor(Date.now() / 1000);
const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
const options = () => ({ issuer: idp.issuer, audience: AUDIENCE });

describe('verifyAccessToken', () => {
  it('returns a session with the user, tenant, roles, scopes and agent of a valid token', async () => {
    const token = await idp.sign({ auth_time: now() - 60, acr: 'urn:agentgate:loa:2', amr: ['pwd', 'otp'] });
    const session = await verifyAccessToken(token, options());
    expect(session).toMatchObject({
      user: { sub: 'user-alice', iss: idp.issuer },
      tenant: 'acme',
      roles: ['member'],
      scopes: ['openid', 'calendar:read'],
      acr: 'urn:agentgate:loa:2',
      amr: ['pwd', 'otp'],
      mode: 'interactive',
      agent: { id: 'agent-app', clientId: 'agent-app' },
    });
    expect(session.authTime).toBeTypeOf('number');
    await expect(session.subjectToken()).resolves.toBe(token);
    await expect(session.subjectToken({ type: 'refresh_token' })).rejects.toMatchObject({
      code: 'NO_SESSION',
    });
  });

  it('discovers the JWKS URI once per issuer and reuses the cached key set', async () => {
    const fresh = await startLocalIssuer();
    try {
      for (let index = 0; index < 3; index++) {
        await verifyAccessToken(await fresh.sign(), { issuer: fresh.issuer, audience: AUDIENCE });
      }
      expect(fresh.requests.filter((path) => path === '/.well-known/openid-configuration')).toHaveLength(1);
      expect(fresh.requests.filter((path) => path === '/jwks')).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });

  it('uses an explicit jwksUri without discovery', async () => {
    const fresh = await startLocalIssuer();
    try {
      await verifyAccessToken(await fresh.sign(), {
        issuer: fresh.issuer,
        audience: AUDIENCE,
        jwksUri: fresh.jwksUri,
      });
      expect(fresh.requests).toEqual(['/jwks']);
    } finally {
      await fresh.close();
    }
  });

  it('accepts typ application/at+jwt, an audience array, and a few seconds of clock skew', async () => {
    const token = await idp.sign(
      { aud: ['https://other.example/', AUDIENCE], exp: now() - 5 },
      { header: { typ: 'application/at+jwt' } },
    );
    await expect(verifyAccessToken(token, options())).resolves.toMatchObject({ user: { sub: 'user-alice' } });
  });

  it('takes the session id and mode it is told', async () => {
    const session = await verifyAccessToken(await idp.sign(), {
      ...options(),
      sessionId: 'run-7',
      mode: 'background',
    });
    expect(session).toMatchObject({ id: 'run-7', mode: 'background' });
  });

  it('rejects a token when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    await expect(
      verifyAccessToken(await idp.sign(), { ...options(), signal: controller.signal }),
    ).rejects.toThrow('caller gave up');
  });

  const badTokens: [string, () => Promise<string>, string][] = [
    ['an expired token', () => idp.sign({ exp: now() - 120, iat: now() - 400 }), 'expired'],
    ['a token not valid yet', () => idp.sign({ nbf: now() + 120 }), 'not_yet_valid'],
    ['a token issued in the future', () => idp.sign({ iat: now() + 600, exp: now() + 900 }), 'not_yet_valid'],
    ['a token from the wrong issuer claim', () => idp.sign({ iss: 'https://evil.example' }), 'issuer'],
    ['a token for another audience', () => idp.sign({ aud: 'https://other-api.example/' }), 'audience'],
    [
      'an unsigned token (alg none)',
      async () => `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode({ iss: idp.issuer, sub: 'mallory' })}.`,
      'algorithm',
    ],
    [
      'an HS256 token keyed with the public JWK',
      () =>
        new SignJWT({ iss: idp.issuer, sub: 'mallory', aud: AUDIENCE, iat: now(), exp: now() + 60 })
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: idp.kid })
          .sign(new TextEncoder().encode(JSON.stringify(idp.publicJwk))),
      'algorithm',
    ],
    [
      'a tampered payload',
      async () => {
        const [header, , signature] = (await idp.sign()).split('.');
        const forged = {
          iss: idp.issuer,
          sub: 'mallory',
          aud: AUDIENCE,
          iat: now(),
          exp: now() + 60,
          roles: ['admin'],
        };
        return `${header}.${encode(forged)}.${signature}`;
      },
      'signature',
    ],
    [
      'a tampered signature',
      async () => {
        const token = await idp.sign();
        const flip = token.at(-5) === 'A' ? 'B' : 'A';
        return `${token.slice(0, -5)}${flip}${token.slice(-4)}`;
      },
      'signature',
    ],
    ['a token with an unknown kid', () => idp.sign({}, { header: { kid: 'no-such-key' } }), 'unknown_key'],
    [
      'an ID token used as an access token',
      () => idp.sign({ nonce: 'n' }, { header: { typ: 'JWT' } }),
      'typ',
    ],
    ['a token without typ', () => idp.sign({}, { header: { typ: undefined } }), 'typ'],
    ['a token without sub', () => idp.sign({}, { omit: ['sub'] }), 'claims'],
    ['a token without exp', () => idp.sign({}, { omit: ['exp'] }), 'claims'],
    [
      'a token whose iat is not a number',
      () => idp.sign({ iat: 'yesterday' as unknown as number }),
      'claims',
    ],
    ['a token with roles of the wrong type', () => idp.sign({ roles: 'admin,root'.length }), 'claims'],
    [
      "a token from a second issuer's key (valid signature, other kid)",
      () => other.sign({ iss: idp.issuer }),
      'unknown_key',
    ],
    [
      "a token from a second issuer's key that reuses the trusted kid",
      () => other.sign({ iss: idp.issuer }, { header: { kid: idp.kid } }),
      'signature',
    ],
    ['an oversized token', () => idp.sign({ padding: 'x'.repeat(9000) }), 'too_large'],
    ['garbage', async () => 'definitely not a token', 'malformed'],
    ['an empty string', async () => '', 'malformed'],
    ['three parts that are not JSON', async () => 'aaaa.bbbb.cccc', 'malformed'],
  ];

  it.each(badTokens)('rejects %s with a typed error and no session', async (_label, make, reason) => {
    const token = await make();
    const error = await verifyAccessToken(token, options()).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TokenVerificationFailed);
    expect(error).toBeInstanceOf(GateDenied);
    expect(error).toMatchObject({ code: 'NO_SESSION', reason, details: { reason } });
    const rejection = error as TokenVerificationFailed;
    if (token.length > 10) expect(rejection.message).not.toContain(token.split('.')[1] ?? token);
    expect(JSON.stringify(rejection.toJSON())).not.toContain(token || '\u0000');
    expect(isGateDenied(rejection.toJSON())).toBe(true);
  });

  it('refuses a token signed by the second issuer when that issuer is not the one trusted', async () => {
    const token = await twin.sign();
    await expect(verifyAccessToken(token, options())).rejects.toMatchObject({ reason: 'unknown_key' });
    await expect(
      verifyAccessToken(token, { issuer: twin.issuer, audience: AUDIENCE }),
    ).resolves.toMatchObject({
      user: { iss: twin.issuer },
    });
  });

  it('fails closed when the issuer cannot be discovered', async () => {
    const gone = await startLocalIssuer();
    const token = await gone.sign();
    await gone.close();
    await expect(verifyAccessToken(token, { issuer: gone.issuer, audience: AUDIENCE })).rejects.toMatchObject(
      {
        code: 'NO_SESSION',
        reason: 'discovery',
      },
    );
  });

  it('fails closed when the JWKS endpoint answers garbage', async () => {
    const token = await idp.sign();
    const brokenFetch: typeof fetch = async () => new Response('<html>oops</html>', { status: 200 });
    await expect(
      verifyAccessToken(token, { ...options(), jwksUri: idp.jwksUri, fetch: brokenFetch }),
    ).rejects.toMatchObject({ reason: 'jwks' });
  });

  it('fails closed when discovery names another issuer', async () => {
    const token = await idp.sign();
    const lyingFetch: typeof fetch = async () =>
      Response.json({ issuer: 'https://evil.example', jwks_uri: idp.jwksUri });
    await expect(verifyAccessToken(token, { ...options(), fetch: lyingFetch })).rejects.toMatchObject({
      reason: 'discovery',
    });
  });

  it('requires the extra claims it is told to', async () => {
    const token = await idp.sign({}, { omit: ['client_id'] });
    await expect(
      verifyAccessToken(token, { ...options(), requiredClaims: ['client_id'] }),
    ).rejects.toMatchObject({
      reason: 'claims',
    });
  });
});

describe('verifyAccessToken messages', () => {
  const messageOf = async (token: string | Promise<string>) =>
    ((await verifyAccessToken(await token, options()).catch((caught: unknown) => caught)) as Error).message;

  it('names the audience it expected and the one the token carried', async () => {
    const message = await messageOf(
      idp.sign({ aud: ['https://other-api.example/', 'https://third.example/'] }),
    );
    expect(message).toContain(
      `the token is for audience 'https://other-api.example/', 'https://third.example/', this API expects '${AUDIENCE}'`,
    );
  });

  it('names the issuer it trusts and the one that issued the token', async () => {
    const message = await messageOf(idp.sign({ iss: 'https://evil.example' }));
    expect(message).toContain(`issued by 'https://evil.example', this verifier trusts '${idp.issuer}'`);
  });

  it('says an opaque token is not an RFC 9068 JWT, and what to do', async () => {
    const message = await messageOf('plain-opaque-access-token-123');
    expect(message).toMatch(/not a JWT access token \(RFC 9068\) but an opaque one/);
    expect(message).toContain('request an audience/resource');
    expect(message).toContain('introspection');
    expect(message).not.toContain('plain-opaque-access-token-123');
  });

  it('says an encrypted token is a JWE', async () => {
    expect(await messageOf('aaaa.bbbb.cccc.dddd.eeee')).toContain('encrypted (JWE, five parts)');
  });

  it('says an ID token is not an access token', async () => {
    const message = await messageOf(idp.sign({ nonce: 'n' }, { header: { typ: 'JWT' } }));
    expect(message).toContain("typ is 'JWT', an RFC 9068 access token has 'at+jwt'");
    expect(message).toContain('looks like an ID token');
  });

  it('names the kid no key matches, and where the keys came from', async () => {
    const message = await messageOf(idp.sign({}, { header: { kid: 'no-such-key' } }));
    expect(message).toContain(`no key in ${idp.jwksUri} matches the token's kid 'no-such-key'`);
  });

  it('names the algorithm it refused and the allowed ones, without control characters', async () => {
    const token = `${encode({ alg: 'none\nforged line', typ: 'at+jwt' })}.${encode({ iss: idp.issuer, sub: 'm' })}.`;
    const message = await messageOf(token);
    expect(message).toContain("signed with 'none?forged line', allowed: ES256, RS256, PS256, EdDSA");
  });
});

describe('createAccessTokenVerifier', () => {
  it.each([
    ['HS256', { algorithms: ['HS256'] }],
    ['none', { algorithms: ['none'] }],
    ['an empty algorithm list', { algorithms: [] }],
    ['a missing audience', { audience: '' }],
    ['a non-URL issuer', { issuer: 'acme' }],
    ['a negative clock tolerance', { clockToleranceSeconds: -1 }],
    ['a bad claim mapping', { claims: { roles: 42 } }],
  ])('throws a TypeError at creation for %s', (_label, override) => {
    expect(() =>
      createAccessTokenVerifier({ issuer: 'https://id.example/', audience: AUDIENCE, ...override } as never),
    ).toThrow(TypeError);
  });

  it('returns the verified claims alongside the session', async () => {
    const verifier = createAccessTokenVerifier({ ...options(), algorithms: ['ES256'] });
    const { session, claims } = await verifier.verify(await idp.sign({ custom: 'value' }));
    expect(claims.custom).toBe('value');
    expect(session.user.sub).toBe('user-alice');
  });

  it('rejects a token whose algorithm is outside a narrowed allow-list', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const rsa = await new SignJWT({ iss: idp.issuer, sub: 'a', aud: AUDIENCE, iat: now(), exp: now() + 60 })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: idp.kid })
      .sign(privateKey);
    await expect(
      createAccessTokenVerifier({ ...options(), algorithms: ['ES256'] })(rsa),
    ).rejects.toMatchObject({
      reason: 'algorithm',
    });
    // An HS256 token keyed with the PEM of a public key is refused too.
    const pem = await exportSPKI(publicKey);
    const hmac = await new SignJWT({ iss: idp.issuer, sub: 'a', aud: AUDIENCE, iat: now(), exp: now() + 60 })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(new TextEncoder().encode(pem));
    await expect(createAccessTokenVerifier(options())(hmac)).rejects.toMatchObject({ reason: 'algorithm' });
  });
});

describe('claimMappings', () => {
  it('maps Auth0 namespaced roles, org_id and permissions', async () => {
    const token = await idp.sign({
      tenant: undefined,
      roles: undefined,
      org_id: 'org_123',
      'https://acme.example/roles': ['support'],
      scope: 'openid read:tickets',
      permissions: ['refund:create', 'read:tickets'],
    });
    const session = await verifyAccessToken(token, {
      ...options(),
      claims: claimMappings.auth0('https://acme.example'),
    });
    expect(session).toMatchObject({
      tenant: 'org_123',
      roles: ['support'],
      scopes: ['openid', 'read:tickets', 'refund:create'],
    });
  });

  it('maps Keycloak realm and client roles and a single organization', async () => {
    const token = await idp.sign({
      tenant: undefined,
      roles: undefined,
      realm_access: { roles: ['offline_access', 'agent-user'] },
      resource_access: { 'billing-api': { roles: ['refunder'] } },
      organization: { acme: { id: '42' } },
      scope: 'openid email',
    });
    const session = await verifyAccessToken(token, { ...options(), claims: claimMappings.keycloak });
    expect(session).toMatchObject({
      tenant: 'acme',
      roles: ['offline_access', 'agent-user', 'billing-api:refunder'],
      scopes: ['openid', 'email'],
    });
  });

  it('takes custom claim names and functions over the standard mapping', async () => {
    const token = await idp.sign({ groups: ['ops'], tid: 'tenant-9', scp: ['a', 'b'], scope: undefined });
    const session = await verifyAccessToken(token, {
      ...options(),
      claims: { roles: 'groups', tenant: (claims) => claims.tid as string },
    });
    expect(session).toMatchObject({ tenant: 'tenant-9', roles: ['ops'], scopes: ['a', 'b'] });
  });

  it('rejects a Keycloak token whose realm_access is not an object', async () => {
    const token = await idp.sign({ realm_access: ['admin'] });
    await expect(
      verifyAccessToken(token, { ...options(), claims: claimMappings.keycloak }),
    ).rejects.toMatchObject({
      reason: 'claims',
      details: { claim: 'realm_access' },
    });
  });

  it('rejects the token, typed, when a custom mapping throws', async () => {
    const token = await idp.sign();
    const claims = {
      tenant: () => {
        throw new Error('lookup failed');
      },
    };
    await expect(verifyAccessToken(token, { ...options(), claims })).rejects.toMatchObject({
      code: 'NO_SESSION',
      reason: 'claims',
    });
  });

  it('refuses an empty Auth0 namespace', () => {
    expect(() => claimMappings.auth0('')).toThrow(TypeError);
  });
});
