import { AsyncLocalStorage } from 'node:async_hooks';
import * as oauth from 'openid-client';

/** The caller's AbortSignal for the request openid-client is about to make. */
const callSignal = new AsyncLocalStorage<AbortSignal | undefined>();

/** The vault's OAuth client at the mock external provider of one connection (real HTTP, `openid-client`). */
export class ExternalClient {
  readonly #config: oauth.Configuration;
  readonly redirectUri: string;

  constructor(options: {
    baseUrl: string;
    connection: string;
    clientId: string;
    clientSecret: string;
    fetch?: typeof fetch;
  }) {
    const { baseUrl, connection, clientId, clientSecret } = options;
    const prefix = `${baseUrl}/ext/${connection}`;
    this.redirectUri = `${baseUrl}/connections/${connection}/callback`;
    this.#config = new oauth.Configuration(
      {
        issuer: prefix,
        authorization_endpoint: `${prefix}/authorize`,
        token_endpoint: `${prefix}/token`,
        revocation_endpoint: `${prefix}/revoke`,
      },
      clientId,
      clientSecret,
    );
    if (baseUrl.startsWith('http:')) {
      oauth.allowInsecureRequests(this.#config);
    }
    const fetchImplementation = options.fetch ?? fetch;
    this.#config[oauth.customFetch] = (url, init) => {
      const caller = callSignal.getStore();
      const signal = caller && init.signal ? AbortSignal.any([caller, init.signal]) : (caller ?? init.signal);
      return fetchImplementation(url, { ...(init as RequestInit), ...(signal ? { signal } : {}) });
    };
  }

  authorizationUrl(parameters: { scopes: readonly string[]; state: string; codeChallenge: string }): URL {
    return oauth.buildAuthorizationUrl(this.#config, {
      redirect_uri: this.redirectUri,
      scope: parameters.scopes.join(' '),
      state: parameters.state,
      code_challenge: parameters.codeChallenge,
      code_challenge_method: 'S256',
    });
  }

  async redeemCode(callbackUrl: URL, checks: { codeVerifier: string; state: string }) {
    return oauth.authorizationCodeGrant(this.#config, callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
    });
  }

  async refresh(refreshToken: string) {
    return oauth.refreshTokenGrant(this.#config, refreshToken);
  }

  async revoke(token: string, signal?: AbortSignal): Promise<void> {
    await callSignal.run(signal, () =>
      oauth.tokenRevocation(this.#config, token, { token_type_hint: 'refresh_token' }),
    );
  }
}

/** True when the external provider rejected the grant itself (revoked or unknown refresh token). */
export function isGrantRejected(error: unknown): boolean {
  return error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant';
}
