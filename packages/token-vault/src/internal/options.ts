import type { Store } from '@agentgate/core';
import { assertKnownOptions } from '@agentgate/core';
import * as client from 'openid-client';
import type { TokenVaultOptions } from '../token-vault';
import type { Dialect } from './dialects';
import { parseEncryptionKey } from './sealed-store';

/** The vault's options after validation, with defaults applied. */
export interface ResolvedOptions {
  issuer: string;
  clientId: string;
  clientAuthentication: client.ClientAuth;
  /** Kept only to mask it in server text that echoes it. */
  clientSecret: string | undefined;
  dialect: Dialect;
  store: Store | undefined;
  encryptionKey: Buffer | undefined;
  subjectTokenType: 'access_token' | 'refresh_token';
  connectUrl: TokenVaultOptions['connectUrl'];
  loginHint: TokenVaultOptions['loginHint'];
  skewSeconds: number;
  retries: number;
  timeoutMs: number;
  allowInsecureRequests: boolean;
  fetch: client.CustomFetch;
  now: () => number;
}

const NAME = 'createTokenVault';

/** Every option `createTokenVault` reads; any other key is refused (a typo would otherwise be dropped silently). */
const KNOWN_OPTIONS = [
  'issuer',
  'clientId',
  'clientSecret',
  'privateKeyJwt',
  'dialect',
  'store',
  'encryptionKey',
  'subjectTokenType',
  'connectUrl',
  'loginHint',
  'skewSeconds',
  'retries',
  'timeoutMs',
  'allowInsecureRequests',
  'fetch',
  'now',
] as const satisfies readonly (keyof TokenVaultOptions)[];

/** Validates every option at creation: misuse is a TypeError now, not a failed call later. */
export function resolveOptions(options: TokenVaultOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${NAME}: options are required ({ issuer, clientId, clientSecret, dialect, … })`);
  }
  assertKnownOptions(NAME, options, KNOWN_OPTIONS);
  const issuer = options.issuer instanceof URL ? options.issuer.href : options.issuer;
  if (typeof issuer !== 'string' || !URL.canParse(issuer)) {
    throw new TypeError(
      `${NAME}: options.issuer must be an absolute URL (string or URL), got ${describe(issuer)}`,
    );
  }
  if (typeof options.clientId !== 'string' || options.clientId.length === 0) {
    throw new TypeError(`${NAME}: options.clientId must be a non-empty string`);
  }
  if (options.dialect !== 'rfc8693' && options.dialect !== 'auth0') {
    throw new TypeError(
      `${NAME}: options.dialect must be 'rfc8693' or 'auth0', got ${describe(options.dialect)}`,
    );
  }
  const subjectTokenType = options.subjectTokenType ?? 'access_token';
  if (subjectTokenType !== 'access_token' && subjectTokenType !== 'refresh_token') {
    throw new TypeError(`${NAME}: options.subjectTokenType must be 'access_token' or 'refresh_token'`);
  }
  if (options.store !== undefined && !isStore(options.store)) {
    throw new TypeError(`${NAME}: options.store must implement get, put and delete`);
  }
  if (options.store !== undefined && options.encryptionKey === undefined) {
    throw new TypeError(
      `${NAME}: options.encryptionKey is required with options.store (tokens are encrypted at rest)`,
    );
  }
  if (options.store === undefined && options.encryptionKey !== undefined) {
    throw new TypeError(
      `${NAME}: options.encryptionKey only applies with options.store (the in-memory cache is not encrypted)`,
    );
  }
  for (const name of ['connectUrl', 'loginHint', 'fetch', 'now'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`${NAME}: options.${name} must be a function`);
    }
  }
  if (options.loginHint !== undefined && options.dialect !== 'auth0') {
    throw new TypeError(
      `${NAME}: options.loginHint is sent only in the 'auth0' dialect, not '${options.dialect}'`,
    );
  }
  if (options.allowInsecureRequests !== undefined && typeof options.allowInsecureRequests !== 'boolean') {
    throw new TypeError(`${NAME}: options.allowInsecureRequests must be a boolean`);
  }
  if (new URL(issuer).protocol !== 'https:' && options.allowInsecureRequests !== true) {
    throw new TypeError(`${NAME}: options.issuer must be https (set allowInsecureRequests for local http)`);
  }
  const customFetch = options.fetch ?? fetch;
  return {
    issuer,
    clientId: options.clientId,
    clientAuthentication: clientAuthentication(options),
    clientSecret: options.clientSecret,
    dialect: options.dialect,
    store: options.store,
    encryptionKey:
      options.encryptionKey === undefined ? undefined : parseEncryptionKey(options.encryptionKey, NAME),
    subjectTokenType,
    connectUrl: options.connectUrl,
    loginHint: options.loginHint,
    skewSeconds: count(options.skewSeconds, 30, 'skewSeconds'),
    retries: count(options.retries, 2, 'retries', true),
    timeoutMs: positive(options.timeoutMs, 10_000, 'timeoutMs'),
    allowInsecureRequests: options.allowInsecureRequests ?? false,
    fetch: (url, init) => customFetch(url, init as RequestInit),
    now: options.now ?? Date.now,
  };
}

function clientAuthentication(options: TokenVaultOptions): client.ClientAuth {
  const hasSecret = options.clientSecret !== undefined;
  const hasKey = options.privateKeyJwt !== undefined;
  if (hasSecret === hasKey) {
    throw new TypeError(`${NAME}: give exactly one of options.clientSecret and options.privateKeyJwt`);
  }
  if (hasSecret) {
    if (typeof options.clientSecret !== 'string' || options.clientSecret.length === 0) {
      throw new TypeError(`${NAME}: options.clientSecret must be a non-empty string`);
    }
    return client.ClientSecretPost(options.clientSecret);
  }
  const key = options.privateKeyJwt;
  if (typeof key === 'object' && key !== null && !(key instanceof CryptoKey)) {
    assertKnownOptions(NAME, key, ['key', 'kid'], 'options.privateKeyJwt');
    if (key.kid !== undefined && (typeof key.kid !== 'string' || key.kid.length === 0)) {
      throw new TypeError(`${NAME}: options.privateKeyJwt.kid must be a non-empty string`);
    }
  }
  const cryptoKey = key instanceof CryptoKey ? key : key?.key;
  if (!(cryptoKey instanceof CryptoKey) || cryptoKey.type !== 'private') {
    throw new TypeError(`${NAME}: options.privateKeyJwt must be a private CryptoKey or { key, kid? }`);
  }
  return client.PrivateKeyJwt(key as CryptoKey | { key: CryptoKey; kid?: string });
}

/** A short, secret-free description of a wrong value's type for a TypeError. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `'${value.slice(0, 40)}'` : `a ${typeof value}`;
}

function isStore(value: unknown): value is Store {
  const store = value as Partial<Store> | null;
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof store.get === 'function' &&
    typeof store.put === 'function' &&
    typeof store.delete === 'function'
  );
}

function count(value: number | undefined, fallback: number, name: string, integer = false): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new TypeError(`${NAME}: options.${name} must be a ${integer ? 'whole ' : ''}number ≥ 0`);
  }
  return value;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${NAME}: options.${name} must be a positive number`);
  }
  return value;
}
