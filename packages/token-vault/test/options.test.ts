import { createSession, MemoryStore } from '@agentgate/core';
import { describe, expect, it } from 'vitest';
import { createTokenVault, type TokenVaultOptions } from '../src';

const valid: TokenVaultOptions = {
  issuer: 'https://vault.example/',
  clientId: 'agent',
  clientSecret: 'secret',
  dialect: 'rfc8693',
};
const { privateKey, publicKey } = (await crypto.subtle.generateKey(
  { name: 'ECDSA', namedCurve: 'P-256' },
  false,
  ['sign', 'verify'],
)) as CryptoKeyPair;

describe('createTokenVault options', () => {
  it.each([
    ['no options', undefined],
    ['a relative issuer', { ...valid, issuer: '/vault' }],
    ['an http issuer without allowInsecureRequests', { ...valid, issuer: 'http://127.0.0.1:4000/' }],
    ['an empty clientId', { ...valid, clientId: '' }],
    ['an unknown dialect', { ...valid, dialect: 'okta' }],
    ['neither secret nor key', { ...valid, clientSecret: undefined }],
    ['both secret and key', { ...valid, privateKeyJwt: privateKey }],
    ['an empty secret', { ...valid, clientSecret: '' }],
    ['a public key for private_key_jwt', { ...valid, clientSecret: undefined, privateKeyJwt: publicKey }],
    ['an unknown subject token type', { ...valid, subjectTokenType: 'id_token' }],
    ['a store without an encryption key', { ...valid, store: new MemoryStore() }],
    ['a short encryption key', { ...valid, store: new MemoryStore(), encryptionKey: new Uint8Array(16) }],
    ['something that is not a store', { ...valid, store: {}, encryptionKey: new Uint8Array(32) }],
    ['a negative skew', { ...valid, skewSeconds: -1 }],
    ['fractional retries', { ...valid, retries: 1.5 }],
    ['a zero timeout', { ...valid, timeoutMs: 0 }],
    ['a connectUrl that is not a function', { ...valid, connectUrl: 'https://connect.example' }],
    ['a fetch that is not a function', { ...valid, fetch: {} }],
  ])('throws a TypeError for %s', (_name, options) => {
    expect(() => createTokenVault(options as TokenVaultOptions)).toThrow(TypeError);
  });

  it('names the offending option in the message and never the secret', () => {
    expect(() => createTokenVault({ ...valid, clientSecret: 'hunter2', dialect: 'x' as 'auth0' })).toThrow(
      /options\.dialect/,
    );
    try {
      createTokenVault({ ...valid, clientSecret: 'hunter2', privateKeyJwt: privateKey });
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });

  it.each([
    ['a client secret', valid],
    ['a private key', { ...valid, clientSecret: undefined, privateKeyJwt: { key: privateKey, kid: 'k1' } }],
    [
      'a store with a base64url key',
      { ...valid, store: new MemoryStore(), encryptionKey: Buffer.alloc(32).toString('base64url') },
    ],
    [
      'local http when allowed',
      { ...valid, issuer: new URL('http://127.0.0.1:4000/'), allowInsecureRequests: true },
    ],
  ])('accepts %s without any network call', (_name, options) => {
    const vault = createTokenVault({
      ...(options as TokenVaultOptions),
      fetch: () => Promise.reject(new Error('no network')),
    });
    expect(typeof vault.getToken).toBe('function');
  });
});

describe('createTokenVault option mistakes', () => {
  it.each([
    [
      'a misspelt option (connectURL)',
      { ...valid, connectURL: () => 'https://app.example/connect' },
      /^createTokenVault: unknown options\.connectURL \(did you mean connectUrl\?\); known: issuer, clientId, clientSecret, /,
    ],
    [
      'an option of another factory (audience)',
      { ...valid, audience: 'https://api.example/' },
      /^createTokenVault: unknown options\.audience; known: /,
    ],
    [
      'a snake_case option (client_secret)',
      { ...valid, client_secret: 'x' },
      /^createTokenVault: unknown options\.client_secret \(did you mean clientSecret\?\)/,
    ],
    [
      'a misspelt privateKeyJwt field (keyId)',
      { ...valid, clientSecret: undefined, privateKeyJwt: { key: privateKey, keyId: 'k1' } },
      /^createTokenVault: unknown options\.privateKeyJwt\.keyId; known: key, kid$/,
    ],
    [
      'an encryption key without a store (it would be ignored)',
      { ...valid, encryptionKey: new Uint8Array(32) },
      /^createTokenVault: options\.encryptionKey only applies with options\.store/,
    ],
    [
      'loginHint with the rfc8693 dialect (it would never be sent)',
      { ...valid, loginHint: () => 'alice' },
      /^createTokenVault: options\.loginHint is sent only in the 'auth0' dialect, not 'rfc8693'$/,
    ],
    [
      'a dialect given in the wrong case',
      { ...valid, dialect: 'Auth0' },
      /^createTokenVault: options\.dialect must be 'rfc8693' or 'auth0', got 'Auth0'$/,
    ],
  ])('throws a TypeError naming the option for %s', (_name, options, message) => {
    expect(() => createTokenVault(options as TokenVaultOptions)).toThrow(message);
    expect(() => createTokenVault(options as TokenVaultOptions)).toThrow(TypeError);
  });

  const vault = createTokenVault({ ...valid, fetch: () => Promise.reject(new Error('no network')) });
  const session = createSession({ sub: 'alice', subjectToken: 'token' });

  it.each([
    [
      'scope for scopes',
      { connection: 'acme-calendar', scope: ['events.read'] },
      /^vault\.guard: unknown request\.scope \(did you mean scopes\?\); known: connection, scopes$/,
    ],
    [
      'scopes as one string',
      { connection: 'acme-calendar', scopes: 'events.read events.write' },
      /^vault\.guard: request\.scopes must be a non-empty array .* \(got a string: write scopes: \["events\.read","events\.write"]\)$/,
    ],
    [
      'a signal (only getToken takes one)',
      { connection: 'acme-calendar', scopes: ['events.read'], signal: new AbortController().signal },
      /^vault\.guard: unknown request\.signal; known: connection, scopes$/,
    ],
  ])('vault.guard() throws a TypeError at creation for %s', (_name, request, message) => {
    expect(() => vault.guard(request as never)).toThrow(message);
  });

  it('getToken() and invalidate() reject a misspelt request key before any request', async () => {
    await expect(
      vault.getToken(session, {
        connection: 'acme-calendar',
        scopes: ['events.read'],
        signl: undefined,
      } as never),
    ).rejects.toThrow(
      /^vault\.getToken: unknown request\.signl \(did you mean signal\?\); known: connection, scopes, signal$/,
    );
    await expect(
      vault.invalidate(session, { connections: 'acme-calendar', scopes: ['events.read'] } as never),
    ).rejects.toThrow(/^vault\.invalidate: unknown request\.connections \(did you mean connection\?\)/);
  });
});
