import * as oidc from 'openid-client';
import type { CreateLoginOptions } from '../login';

/** The checked options of a login. */
export interface LoginSettings {
  issuer: string;
  clientId: string;
  clientAuth: oidc.ClientAuth;
  redirectUri: string;
  scope: string;
  resource: string | undefined;
  audience: string | readonly string[];
  allowInsecureRequests: boolean;
}

/** Checks the options of `createLogin` eagerly. @throws TypeError */
export function validateLoginOptions(options: CreateLoginOptions): LoginSettings {
  const where = 'createLogin';
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where}: options are required`);
  if (typeof options.issuer !== 'string' || !URL.canParse(options.issuer)) {
    throw new TypeError(`${where}: options.issuer must be the issuer URL`);
  }
  const insecure = options.allowInsecureRequests === true;
  if (new URL(options.issuer).protocol !== 'https:' && !insecure) {
    throw new TypeError(
      `${where}: the issuer must use https (set allowInsecureRequests for a local http issuer)`,
    );
  }
  if (typeof options.clientId !== 'string' || options.clientId.length === 0) {
    throw new TypeError(`${where}: options.clientId must be a non-empty string`);
  }
  if (typeof options.redirectUri !== 'string' || !URL.canParse(options.redirectUri)) {
    throw new TypeError(`${where}: options.redirectUri must be a URL`);
  }
  const hasSecret = typeof options.clientSecret === 'string' && options.clientSecret.length > 0;
  const hasKey = options.privateKeyJwt !== undefined;
  if (hasSecret === hasKey)
    throw new TypeError(`${where}: give exactly one of clientSecret or privateKeyJwt`);
  let clientAuth: oidc.ClientAuth;
  if (hasKey) {
    const { key, kid } = options.privateKeyJwt as { key: CryptoKey; kid?: string };
    if (typeof key !== 'object' || key === null || (key as CryptoKey).type !== 'private') {
      throw new TypeError(`${where}: privateKeyJwt.key must be a private CryptoKey`);
    }
    clientAuth = oidc.PrivateKeyJwt(kid === undefined ? key : { key, kid });
  } else {
    const method = options.clientAuthentication ?? 'client_secret_basic';
    if (method !== 'client_secret_basic' && method !== 'client_secret_post') {
      throw new TypeError(`${where}: clientAuthentication must be client_secret_basic or client_secret_post`);
    }
    clientAuth =
      method === 'client_secret_basic'
        ? oidc.ClientSecretBasic(options.clientSecret as string)
        : oidc.ClientSecretPost(options.clientSecret as string);
  }
  if (
    options.resource !== undefined &&
    (typeof options.resource !== 'string' || !URL.canParse(options.resource))
  ) {
    throw new TypeError(`${where}: options.resource must be a URL (RFC 8707)`);
  }
  const audience = options.audience ?? options.resource;
  if (audience === undefined) {
    throw new TypeError(
      `${where}: give options.audience or options.resource: access tokens must be verifiable`,
    );
  }
  const scope = options.scope ?? 'openid profile email offline_access';
  if (typeof scope !== 'string' || !scope.split(' ').includes('openid')) {
    throw new TypeError(`${where}: options.scope must include 'openid'`);
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new TypeError(`${where}: options.fetch must be a function`);
  }
  return {
    issuer: options.issuer,
    clientId: options.clientId,
    clientAuth,
    redirectUri: options.redirectUri,
    scope,
    resource: options.resource,
    audience,
    allowInsecureRequests: insecure,
  };
}
