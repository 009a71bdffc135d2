import { assertKnownOptions } from '@agentgate/core';
import * as oidc from 'openid-client';
import type { CreateLoginOptions } from '../login';

/** The checked options of a login. */
export interface LoginSettings {
  issuer: string;
  clientId: string;
  clientAuth: oidc.ClientAuth;
  /** Kept only to mask it in server text that echoes it. */
  clientSecret: string | undefined;
  redirectUri: string;
  scope: string;
  resource: string | undefined;
  audience: string | readonly string[];
  allowInsecureRequests: boolean;
}

/** Every option `createLogin` reads; any other key is refused (a typo would otherwise be dropped silently). */
const KNOWN_OPTIONS = [
  'issuer',
  'clientId',
  'clientSecret',
  'privateKeyJwt',
  'clientAuthentication',
  'redirectUri',
  'scope',
  'resource',
  'audience',
  'allowInsecureRequests',
  'claims',
  'algorithms',
  'clockToleranceSeconds',
  'fetch',
] as const satisfies readonly (keyof CreateLoginOptions)[];

/**
 * Checks the options of `createLogin` eagerly (the access-token options — `claims`, `algorithms`,
 * `clockToleranceSeconds` — are checked by the verifier it builds, under the same name). @throws TypeError
 */
export function validateLoginOptions(options: CreateLoginOptions): LoginSettings {
  const where = 'createLogin';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `${where}: options are required ({ issuer, clientId, clientSecret, redirectUri, resource, … })`,
    );
  }
  assertKnownOptions(where, options, KNOWN_OPTIONS);
  if (typeof options.issuer !== 'string' || !URL.canParse(options.issuer)) {
    throw new TypeError(`${where}: options.issuer must be the issuer URL as a string`);
  }
  if (options.allowInsecureRequests !== undefined && typeof options.allowInsecureRequests !== 'boolean') {
    throw new TypeError(`${where}: options.allowInsecureRequests must be a boolean`);
  }
  const insecure = options.allowInsecureRequests === true;
  if (new URL(options.issuer).protocol !== 'https:' && !insecure) {
    throw new TypeError(
      `${where}: options.issuer must use https (set allowInsecureRequests for a local http issuer)`,
    );
  }
  if (typeof options.clientId !== 'string' || options.clientId.length === 0) {
    throw new TypeError(`${where}: options.clientId must be a non-empty string`);
  }
  if (typeof options.redirectUri !== 'string' || !URL.canParse(options.redirectUri)) {
    throw new TypeError(`${where}: options.redirectUri must be an absolute URL as a string`);
  }
  const clientAuth = clientAuthOf(where, options);
  if (
    options.resource !== undefined &&
    (typeof options.resource !== 'string' || !URL.canParse(options.resource))
  ) {
    throw new TypeError(`${where}: options.resource must be an absolute URL (RFC 8707 resource indicator)`);
  }
  const audience = options.audience ?? options.resource;
  if (audience === undefined) {
    throw new TypeError(
      `${where}: give options.audience or options.resource: access tokens must be verifiable (the provider issues ` +
        'an opaque access token, which cannot be verified, when no resource is requested)',
    );
  }
  const scope = options.scope ?? 'openid profile email offline_access';
  if (typeof scope !== 'string' || !scope.split(' ').includes('openid')) {
    throw new TypeError(`${where}: options.scope must be a space-separated string that includes 'openid'`);
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new TypeError(`${where}: options.fetch must be a function`);
  }
  return {
    issuer: options.issuer,
    clientId: options.clientId,
    clientAuth,
    clientSecret: options.clientSecret,
    redirectUri: options.redirectUri,
    scope,
    resource: options.resource,
    audience,
    allowInsecureRequests: insecure,
  };
}

function clientAuthOf(where: string, options: CreateLoginOptions): oidc.ClientAuth {
  const hasSecret = options.clientSecret !== undefined;
  const hasKey = options.privateKeyJwt !== undefined;
  if (hasSecret === hasKey) {
    throw new TypeError(`${where}: give exactly one of options.clientSecret and options.privateKeyJwt`);
  }
  if (hasKey) {
    if (options.clientAuthentication !== undefined) {
      throw new TypeError(
        `${where}: options.clientAuthentication applies to clientSecret only (privateKeyJwt is private_key_jwt)`,
      );
    }
    const given = options.privateKeyJwt as CryptoKey | { key: CryptoKey; kid?: string };
    const isKey = given instanceof CryptoKey;
    if (!isKey) {
      if (typeof given !== 'object' || given === null) {
        throw new TypeError(`${where}: options.privateKeyJwt must be a private CryptoKey or { key, kid? }`);
      }
      assertKnownOptions(where, given, ['key', 'kid'], 'options.privateKeyJwt');
    }
    const key = isKey ? given : given.key;
    const kid = isKey ? undefined : given.kid;
    if (!(key instanceof CryptoKey) || key.type !== 'private') {
      throw new TypeError(`${where}: options.privateKeyJwt.key must be a private CryptoKey`);
    }
    if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
      throw new TypeError(`${where}: options.privateKeyJwt.kid must be a non-empty string`);
    }
    return oidc.PrivateKeyJwt(kid === undefined ? key : { key, kid });
  }
  if (typeof options.clientSecret !== 'string' || options.clientSecret.length === 0) {
    throw new TypeError(`${where}: options.clientSecret must be a non-empty string`);
  }
  const method = options.clientAuthentication ?? 'client_secret_basic';
  if (method !== 'client_secret_basic' && method !== 'client_secret_post') {
    throw new TypeError(
      `${where}: options.clientAuthentication must be 'client_secret_basic' or 'client_secret_post'`,
    );
  }
  return method === 'client_secret_basic'
    ? oidc.ClientSecretBasic(options.clientSecret)
    : oidc.ClientSecretPost(options.clientSecret);
}
