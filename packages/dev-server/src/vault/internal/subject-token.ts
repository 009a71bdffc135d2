import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type Provider from 'oidc-provider';
import { ACCESS_TOKEN_TYPE, GRANT_ID_CLAIM, REFRESH_TOKEN_TYPE } from '../constants';

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
  readonly #accountExists: (sub: string) => boolean;

  constructor(
    provider: Provider,
    trustedClientIds: readonly string[],
    options: { fetch?: typeof fetch; accountExists?: (sub: string) => boolean } = {},
  ) {
    this.#provider = provider;
    this.#trustedClientIds = new Set(trustedClientIds);
    this.#fetch = options.fetch;
    this.#accountExists = options.accountExists ?? (() => true);
  }

  /** A token issued to the exchanging client itself, or to a trusted client, is accepted. */
  #clientMayUse(tokenClientId: unknown, clientId: string): boolean {
    return (
      typeof tokenClientId === 'string' &&
      (tokenClientId === clientId || this.#trustedClientIds.has(tokenClientId))
    );
  }

  /** The user grant the token was issued under still exists (not revoked) and is the user's own. */
  async #grantIsLive(grantId: unknown, accountId: string, clientId: unknown) {
    if (typeof grantId !== 'string' || grantId.length === 0 || !this.#accountExists(accountId)) {
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
      // A JWT is not looked up on the server: bind it to its live grant so a client_credentials
      // token (no user, no grant) or a revoked login's token is refused like the opaque ones.
      if (
        !payload.sub ||
        !this.#clientMayUse(payload['client_id'], clientId) ||
        !(await this.#grantIsLive(payload[GRANT_ID_CLAIM], payload.sub, payload['client_id']))
      ) {
        return undefined;
      }
      return payload.sub;
    } catch {
      return undefined;
    }
  }
}
