import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type Provider from 'oidc-provider';
import { ACCESS_TOKEN_TYPE, REFRESH_TOKEN_TYPE } from '../constants';

const JWT_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
];

/** Verifies subject tokens issued by the dev server itself; the answer is the user's `sub` or undefined. */
export class SubjectTokenVerifier {
  readonly #provider: Provider;
  readonly #trustedClientIds: ReadonlySet<string>;
  #jwks: JWTVerifyGetKey | undefined;

  readonly #fetch: typeof fetch | undefined;

  constructor(provider: Provider, trustedClientIds: readonly string[], fetchImplementation?: typeof fetch) {
    this.#provider = provider;
    this.#trustedClientIds = new Set(trustedClientIds);
    this.#fetch = fetchImplementation;
  }

  /** A token issued to the exchanging client itself, or to a trusted client, is accepted. */
  #clientMayUse(tokenClientId: unknown, clientId: string): boolean {
    return (
      typeof tokenClientId === 'string' &&
      (tokenClientId === clientId || this.#trustedClientIds.has(tokenClientId))
    );
  }

  async #grantIsLive(grantId: string | undefined, accountId: string, clientId: string | undefined) {
    if (!grantId) {
      return false;
    }
    const grant = await this.#provider.Grant.find(grantId);
    return grant !== undefined && grant.accountId === accountId && grant.clientId === clientId;
  }

  async verify(token: string, tokenType: string, clientId: string): Promise<string | undefined> {
    if (tokenType === REFRESH_TOKEN_TYPE) {
      const refreshToken = await this.#provider.RefreshToken.find(token, { ignoreExpiration: true });
      if (
        !refreshToken ||
        refreshToken.isExpired ||
        refreshToken.consumed ||
        !refreshToken.accountId ||
        !this.#clientMayUse(refreshToken.clientId, clientId) ||
        !(await this.#grantIsLive(refreshToken.grantId, refreshToken.accountId, refreshToken.clientId))
      ) {
        return undefined;
      }
      return refreshToken.accountId;
    }
    if (tokenType === ACCESS_TOKEN_TYPE) {
      return token.split('.').length === 3
        ? this.#verifyJwt(token, clientId)
        : this.#verifyOpaque(token, clientId);
    }
    return undefined;
  }

  async #verifyOpaque(token: string, clientId: string): Promise<string | undefined> {
    const accessToken = await this.#provider.AccessToken.find(token, { ignoreExpiration: true });
    if (
      !accessToken ||
      accessToken.isExpired ||
      !accessToken.accountId ||
      !this.#clientMayUse(accessToken.clientId, clientId) ||
      !(await this.#grantIsLive(accessToken.grantId, accessToken.accountId, accessToken.clientId))
    ) {
      return undefined;
    }
    return accessToken.accountId;
  }

  async #verifyJwt(token: string, clientId: string): Promise<string | undefined> {
    const fetchImplementation = this.#fetch;
    this.#jwks ??= createRemoteJWKSet(
      new URL(this.#provider.urlFor('jwks')),
      fetchImplementation ? { [customFetch]: (url, init) => fetchImplementation(url, init) } : {},
    );
    try {
      const { payload } = await jwtVerify(token, this.#jwks, {
        issuer: this.#provider.issuer,
        typ: 'at+jwt',
        algorithms: JWT_ALGORITHMS,
        requiredClaims: ['sub', 'exp', 'client_id'],
      });
      if (!payload.sub || !this.#clientMayUse(payload['client_id'], clientId)) {
        return undefined;
      }
      return payload.sub;
    } catch {
      return undefined;
    }
  }
}
