import { MemoryStore } from '@agentgate/core';
import { generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  type CreateLoginOptions,
  claimMappings,
  createAccessTokenVerifier,
  createBackgroundSession,
  createLogin,
  requireActiveSession,
  requireFreshAuth,
  requireRoles,
  requireScopes,
  resumeBackgroundSession,
  verifyAccessToken,
} from '../src';

// Options a caller gets wrong must fail loudly at creation, naming the option: never be dropped without a word.

const AUDIENCE = 'https://api.agentgate.test/';
const loginOptions: CreateLoginOptions = {
  issuer: 'https://id.example/',
  clientId: 'agent-app',
  clientSecret: 'agent-secret',
  redirectUri: 'https://app.example/callback',
  audience: AUDIENCE,
};
// No network: creation and option checks happen before any request.
const login = createLogin({ ...loginOptions, fetch: () => Promise.reject(new Error('no network')) });
const verifierOptions = { issuer: 'https://id.example/', audience: AUDIENCE };
const tokens = { accessToken: 'a.b.c', refreshToken: 'r', expiresAt: 2_000_000_000, scope: '' };
const { privateKey } = await generateKeyPair('ES256');

type Call = () => unknown;

describe('unknown option keys (likely typos)', () => {
  it.each<[string, Call, RegExp]>([
    [
      'createLogin({ redirectUrl })',
      () => createLogin({ ...loginOptions, redirectUrl: 'x' } as never),
      /^createLogin: unknown options\.redirectUrl \(did you mean redirectUri\?\); known: issuer, clientId, /,
    ],
    [
      'createLogin({ privateKeyJwt: { key, keyId } })',
      () =>
        createLogin({
          ...loginOptions,
          clientSecret: undefined,
          privateKeyJwt: { key: privateKey, keyId: 'k1' },
        } as never),
      /^createLogin: unknown options\.privateKeyJwt\.keyId; known: key, kid$/,
    ],
    [
      'createLogin({ claims: { role } })',
      () => createLogin({ ...loginOptions, claims: { role: 'roles' } } as never),
      /^createLogin: unknown options\.claims\.role \(did you mean roles\?\)/,
    ],
    [
      'createAccessTokenVerifier({ audiences })',
      () => createAccessTokenVerifier({ ...verifierOptions, audiences: [AUDIENCE] } as never),
      /^createAccessTokenVerifier: unknown options\.audiences \(did you mean audience\?\)/,
    ],
    [
      'verifyAccessToken(token, { clockTolerance })',
      () => verifyAccessToken('a.b.c', { ...verifierOptions, clockTolerance: 60 } as never),
      /^verifyAccessToken: unknown options\.clockTolerance \(did you mean clockToleranceSeconds\?\)/,
    ],
    [
      'createBackgroundSession({ ttl })',
      () => createBackgroundSession({ login, store: new MemoryStore(), tokens, ttl: 60 } as never),
      /^createBackgroundSession: unknown options\.ttl; known: login, store, tokens, session, sessionId, ttlSeconds, signal$/,
    ],
    [
      'resumeBackgroundSession({ expectedSubject })',
      () =>
        resumeBackgroundSession({
          login,
          store: new MemoryStore(),
          sessionId: 's',
          expectedSubject: 'alice',
        } as never),
      /^resumeBackgroundSession: unknown options\.expectedSubject \(did you mean expectedSub\?\)/,
    ],
    [
      'requireFreshAuth({ maxAge })',
      () => requireFreshAuth({ maxAge: 300 } as never),
      /^requireFreshAuth: unknown options\.maxAge \(did you mean maxAgeSeconds\?\); known: maxAgeSeconds, acr, now$/,
    ],
    [
      'requireRoles(role, { mode })',
      () => requireRoles('admin', { mode: 'any' } as never),
      /^requireRoles: unknown options\.mode; known: match$/,
    ],
    [
      'login.createAuthorization({ max_age })',
      () => login.createAuthorization({ max_age: 60 } as never),
      /^login\.createAuthorization: unknown options\.max_age \(did you mean maxAge\?\)/,
    ],
    [
      'login.refresh(token, { onRotate })',
      () => login.refresh('r', { onRotate: () => {} } as never),
      /^login\.refresh: unknown options\.onRotate \(did you mean onRotated\?\)/,
    ],
    [
      'login.revoke(token, { token_type_hint })',
      () => login.revoke('r', { token_type_hint: 'refresh_token' } as never),
      /^login\.revoke: unknown options\.token_type_hint \(did you mean tokenTypeHint\?\)/,
    ],
    [
      'login.logoutUrl({ idToken })',
      () => login.logoutUrl({ idToken: 'x' } as never),
      /^login\.logoutUrl: unknown options\.idToken \(did you mean idTokenHint\?\)/,
    ],
    [
      'login.verifyAccessToken(token, { session })',
      () => login.verifyAccessToken('a.b.c', { session: 'x' } as never),
      /^login\.verifyAccessToken: unknown options\.session \(did you mean sessionId\?\); known: signal, sessionId, mode$/,
    ],
  ])('%s is a TypeError naming the key', async (_label, call, message) => {
    const error = await (async () => call())().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('wrong option values', () => {
  it.each<[string, Call, RegExp]>([
    [
      'requireScopes([...]) (an array)',
      () => requireScopes(['calendar:read', 'calendar:write'] as never),
      /^requireScopes: pass each scope as its own argument, requireScopes\("calendar:read", "calendar:write"\), not an array$/,
    ],
    [
      "requireScopes('a b') (space-separated)",
      () => requireScopes('calendar:read calendar:write'),
      /^requireScopes: pass each scope as its own argument, requireScopes\('calendar:read', 'calendar:write'\)/,
    ],
    [
      'requireRoles([...]) (an array)',
      () => requireRoles(['admin', 'support'] as never),
      /^requireRoles: pass each role as its own argument/,
    ],
    [
      'requireActiveSession({ ... }) (takes none)',
      () => (requireActiveSession as (...args: unknown[]) => unknown)({ maxAgeSeconds: 60 }),
      /^requireActiveSession: takes no arguments/,
    ],
    [
      'requireFreshAuth({ now: 5 })',
      () => requireFreshAuth({ maxAgeSeconds: 60, now: 5 } as never),
      /^requireFreshAuth: options\.now must be a function/,
    ],
    [
      'createLogin({ clientAuthentication }) with privateKeyJwt',
      () =>
        createLogin({
          ...loginOptions,
          clientSecret: undefined,
          privateKeyJwt: privateKey,
          clientAuthentication: 'client_secret_post',
        }),
      /^createLogin: options\.clientAuthentication applies to clientSecret only/,
    ],
    [
      'createLogin({ clientSecret: 42 })',
      () => createLogin({ ...loginOptions, clientSecret: 42 } as never),
      /^createLogin: options\.clientSecret must be a non-empty string$/,
    ],
    [
      "createLogin({ algorithms: 'ES256' }) (a string)",
      () => createLogin({ ...loginOptions, algorithms: 'ES256' } as never),
      /^createLogin: options\.algorithms must be an array, e\.g\. \['ES256'\]$/,
    ],
    [
      "createLogin({ allowInsecureRequests: 'yes' })",
      () => createLogin({ ...loginOptions, allowInsecureRequests: 'yes' } as never),
      /^createLogin: options\.allowInsecureRequests must be a boolean$/,
    ],
    [
      "verifyAccessToken(token, { mode: 'batch' })",
      () => verifyAccessToken('a.b.c', { ...verifierOptions, mode: 'batch' } as never),
      /^verifyAccessToken: options\.mode must be 'interactive' or 'background'$/,
    ],
    [
      "createAccessTokenVerifier({ requiredClaims: 'jti' })",
      () => createAccessTokenVerifier({ ...verifierOptions, requiredClaims: 'jti' } as never),
      /^createAccessTokenVerifier: options\.requiredClaims must be an array/,
    ],
    [
      'createBackgroundSession without tokens.accessToken',
      () =>
        createBackgroundSession({ login, store: new MemoryStore(), tokens: { ...tokens, accessToken: '' } }),
      /^createBackgroundSession: options\.tokens\.accessToken must be a non-empty string$/,
    ],
    [
      'createBackgroundSession with a store without delete',
      () =>
        createBackgroundSession({
          login,
          store: { get: async () => undefined, put: async () => {} } as never,
          tokens,
        }),
      /^createBackgroundSession: options\.store must be a Store/,
    ],
  ])('%s is a TypeError saying what was expected', async (_label, call, message) => {
    const error = await (async () => call())().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts privateKeyJwt as a bare CryptoKey, as the token vault does', () => {
    expect(() =>
      createLogin({ ...loginOptions, clientSecret: undefined, privateKeyJwt: privateKey }),
    ).not.toThrow();
  });

  it('still accepts every documented option', () => {
    expect(() =>
      createLogin({
        ...loginOptions,
        clientAuthentication: 'client_secret_post',
        scope: 'openid offline_access',
        resource: AUDIENCE,
        allowInsecureRequests: false,
        claims: claimMappings.auth0('https://acme.example/'),
        algorithms: ['ES256'],
        clockToleranceSeconds: 10,
        fetch: globalThis.fetch,
      }),
    ).not.toThrow();
    expect(() =>
      createAccessTokenVerifier({
        ...verifierOptions,
        jwksUri: 'https://id.example/jwks',
        algorithms: ['ES256'],
        clockToleranceSeconds: 0,
        maxTokenLength: 4096,
        claims: claimMappings.keycloak,
        requiredClaims: ['jti'],
        fetch: globalThis.fetch,
      }),
    ).not.toThrow();
    expect(() => requireFreshAuth({ maxAgeSeconds: 60, acr: 'urn:a', now: Date.now })).not.toThrow();
    expect(() => requireRoles('a', 'b', { match: 'any' })).not.toThrow();
  });
});
