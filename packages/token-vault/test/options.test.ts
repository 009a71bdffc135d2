import { MemoryStore } from '@agentgate/core';
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
