import { AsyncLocalStorage } from 'node:async_hooks';
import type { AgentSession } from '@agentgate/core';
import { assertKnownOptions, raceAbort, SentSecrets } from '@agentgate/core';
import * as oidc from 'openid-client';
import type { ClaimMapping } from './claim-mappings';
import { LoginFailed, TokenVerificationFailed } from './errors';
import { withIdTokenClaims } from './internal/id-token-claims';
import { validateLoginOptions } from './internal/login-settings';
import { fromOidcError } from './internal/oidc-errors';
import { validateCallOptions, validateVerifierOptions } from './internal/verifier-settings';
import { verifierFor } from './verify-access-token';

/** Options of {@link createLogin}. Give `clientSecret` or `privateKeyJwt`. */
export interface CreateLoginOptions {
  /** The issuer identifier (exactly as the provider writes it; discovery is fetched from it). */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Authenticate the client with a signed JWT (`private_key_jwt`) instead of a secret. */
  privateKeyJwt?: CryptoKey | { key: CryptoKey; kid?: string };
  /** How a `clientSecret` is sent. @default 'client_secret_basic' */
  clientAuthentication?: 'client_secret_basic' | 'client_secret_post';
  redirectUri: string;
  /** @default 'openid profile email offline_access' */
  scope?: string;
  /** Resource indicator (RFC 8707) of the API the access token is for. */
  resource?: string;
  /** Expected `aud` of access tokens. @default resource */
  audience?: string | readonly string[];
  /** Allow `http://` (only for a local issuer such as `http://127.0.0.1`). @default false */
  allowInsecureRequests?: boolean;
  /** Where tenant, roles and scopes come from in the access token. @default claimMappings.standard */
  claims?: ClaimMapping;
  /** Access-token algorithms allowed. @default ['ES256', 'RS256', 'PS256', 'EdDSA'] */
  algorithms?: readonly string[];
  /** @default 30 */
  clockToleranceSeconds?: number;
  /** Overrides fetch for every request to the provider. */
  fetch?: typeof globalThis.fetch;
}

/** Options of {@link Login.createAuthorization}. */
export interface CreateAuthorizationOptions {
  /** OIDC `max_age`, in seconds: force a login at most this old (step-up). */
  maxAge?: number;
  /** OIDC `acr_values`, space-separated (step-up). */
  acrValues?: string;
  prompt?: string;
  /** Your own state value; a random one otherwise. */
  state?: string;
  /** Overrides the configured scope. */
  scope?: string;
  loginHint?: string;
  signal?: AbortSignal;
}

/** Values to keep (server side, e.g. in an encrypted cookie) between the redirect and the callback. */
export interface AuthorizationChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The `max_age` requested, checked against the ID token's `auth_time`. */
  maxAge?: number;
}

/** An authorization request: send the user to `url`, keep `checks`. */
export interface AuthorizationRequest {
  url: URL;
  checks: AuthorizationChecks;
}

/** The tokens of a login or refresh. Hand them to a `Store`, never to a tool or the model. */
export interface LoginTokens {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** Seconds since the epoch when the access token expires. */
  expiresAt: number;
  scope: string;
}

/** What a login or refresh yields: the verified session and the tokens. */
export interface LoginResult {
  session: AgentSession;
  tokens: LoginTokens;
}

/** Per-call options of calls that create a session. */
export interface SessionCallOptions {
  signal?: AbortSignal;
  sessionId?: string;
  /** @default 'interactive' */
  mode?: 'interactive' | 'background';
}

/** Options of {@link Login.refresh}. */
export interface RefreshOptions extends SessionCallOptions {
  /**
   * Called with the rotated refresh token as soon as the provider issued it — before the access token is verified.
   * Persist it here: the old one is dead once the provider rotated it, so a verification that fails afterwards (the
   * JWKS cannot be fetched, say) must not lose the grant. When it throws, `refresh` rejects with its error.
   */
  onRotated?: (refreshToken: string) => void | Promise<void>;
}

/** An OIDC relying party for an app that runs agents for its users. Made by {@link createLogin}. */
export interface Login {
  readonly issuer: string;
  readonly clientId: string;
  /** Builds the authorization URL (code flow, PKCE S256, state, nonce). */
  createAuthorization(options?: CreateAuthorizationOptions): Promise<AuthorizationRequest>;
  /**
   * Completes the login at the redirect URI: checks state, PKCE, nonce and the ID token, verifies the access token,
   * and builds the session (with `acr`, `amr` and `auth_time` from the ID token).
   *
   * @throws LoginFailed (`NO_SESSION`) with `reason` `state`, `nonce`, `access_denied`, `invalid_grant`, …
   * @throws TokenVerificationFailed when the access token does not verify
   */
  handleCallback(
    callbackUrl: string | URL | Request,
    checks: AuthorizationChecks,
    options?: SessionCallOptions,
  ): Promise<LoginResult>;
  /**
   * Redeems a refresh token. The provider may rotate it: use the returned one, and pass `onRotated` to keep it even
   * when the new access token then fails verification.
   *
   * @throws LoginFailed (`NO_SESSION`); TokenVerificationFailed when the new access token does not verify
   */
  refresh(refreshToken: string, options?: RefreshOptions): Promise<LoginResult>;
  /** RFC 7662 introspection with the client's credentials. @throws LoginFailed */
  introspect(token: string, options?: { signal?: AbortSignal }): Promise<oidc.IntrospectionResponse>;
  /** Revokes a refresh or access token (RFC 7009). @throws LoginFailed */
  revoke(
    token: string,
    options?: { signal?: AbortSignal; tokenTypeHint?: 'refresh_token' | 'access_token' },
  ): Promise<void>;
  /**
   * Verifies an access token for this client's audience; the session's `revalidate()` introspects it, so a revoked
   * token stops a deferred call. @throws TokenVerificationFailed
   */
  verifyAccessToken(token: string, options?: SessionCallOptions): Promise<AgentSession>;
  /** The RP-initiated logout URL. */
  logoutUrl(options?: { idTokenHint?: string; postLogoutRedirectUri?: string; state?: string }): Promise<URL>;
}

/**
 * Creates an OIDC login for an app (authorization code + PKCE, refresh, introspection, logout) on `openid-client`.
 * Options are checked now; the provider's metadata is discovered on first use and cached.
 *
 * @throws TypeError when an option is malformed or unknown (a likely typo), naming it
 * @example
 * const login = createLogin({ issuer, clientId, clientSecret, redirectUri: 'https://app.example/callback',
 *   resource: 'https://api.acme.example/' });
 * const { url, checks } = await login.createAuthorization();
 */
export function createLogin(options: CreateLoginOptions): Login {
  const settings = validateLoginOptions(options);
  // Each request to the provider runs inside one step: its caller's signal, and what it sent that is secret.
  const currentStep = new AsyncLocalStorage<{ signal: AbortSignal | undefined; sent: SentSecrets }>();
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const customFetch: oidc.CustomFetch = (url, init) => {
    const step = currentStep.getStore();
    step?.sent.record(init as RequestInit);
    const signals = [init.signal, step?.signal].filter((signal) => signal !== undefined);
    return fetchImplementation(url, {
      ...init,
      ...(signals.length === 0
        ? {}
        : { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) }),
    } as RequestInit);
  };
  /**
   * Runs one `openid-client` call as `step`: with the caller's signal, recording the secrets it sends (plus `known`
   * ones and the client secret), and turning what it throws into a `LoginFailed` in which no server text that echoes
   * them survives. The one place where provider text becomes AgentGate text.
   */
  const perform = async <T>(
    step: string,
    signal: AbortSignal | undefined,
    known: readonly (string | undefined)[],
    run: () => Promise<T>,
  ): Promise<T> => {
    signal?.throwIfAborted();
    const sent = new SentSecrets([settings.clientSecret, ...known]);
    try {
      return await currentStep.run({ signal, sent }, run);
    } catch (error) {
      throw fromOidcError(step, error, signal, sent);
    }
  };

  let configuration: Promise<oidc.Configuration> | undefined;
  const configure = (signal: AbortSignal | undefined): Promise<oidc.Configuration> => {
    if (configuration === undefined) {
      const discovery = oidc
        .discovery(new URL(settings.issuer), settings.clientId, undefined, settings.clientAuth, {
          [oidc.customFetch]: customFetch,
          ...(settings.allowInsecureRequests ? { execute: [oidc.allowInsecureRequests] } : {}),
        })
        .then((config) => {
          config[oidc.customFetch] = customFetch;
          return config;
        });
      configuration = discovery;
      discovery.catch(() => {
        if (configuration === discovery) configuration = undefined;
      });
    }
    signal?.throwIfAborted();
    return raceAbort(configuration, signal).catch((error: unknown) => {
      throw fromOidcError(
        `discovery of '${settings.issuer}'`,
        error,
        signal,
        new SentSecrets([settings.clientSecret]),
      );
    });
  };

  const verifier = verifierFor(
    validateVerifierOptions(
      {
        issuer: settings.issuer,
        audience: settings.audience,
        ...(options.algorithms === undefined ? {} : { algorithms: options.algorithms }),
        ...(options.clockToleranceSeconds === undefined
          ? {}
          : { clockToleranceSeconds: options.clockToleranceSeconds }),
        ...(options.claims === undefined ? {} : { claims: options.claims }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      },
      'createLogin',
    ),
  );

  async function introspect(token: string, call: { signal?: AbortSignal } = {}) {
    checkCall('login.introspect', call, ['signal']);
    if (typeof token !== 'string' || token.length === 0) {
      throw new TypeError('login.introspect: token must be a non-empty string');
    }
    const config = await configure(call.signal);
    return perform('token introspection', call.signal, [token], () => oidc.tokenIntrospection(config, token));
  }

  async function sessionFrom(
    response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
    call: SessionCallOptions,
  ): Promise<LoginResult> {
    const idClaims = response.claims();
    const verified = await verifier.verify(response.access_token, {
      ...(call.signal === undefined ? {} : { signal: call.signal }),
      ...(call.sessionId === undefined ? {} : { sessionId: call.sessionId }),
      ...(call.mode === undefined ? {} : { mode: call.mode }),
    });
    if (idClaims !== undefined && idClaims.sub !== verified.claims.sub) {
      throw new LoginFailed('subject_mismatch', 'the ID token and the access token name different users');
    }
    const session = withIdTokenClaims(verified, idClaims);
    const expiresIn = response.expiresIn();
    return {
      session,
      tokens: {
        accessToken: response.access_token,
        ...(response.refresh_token === undefined ? {} : { refreshToken: response.refresh_token }),
        ...(response.id_token === undefined ? {} : { idToken: response.id_token }),
        expiresAt:
          expiresIn === undefined
            ? (verified.claims.exp as number)
            : Math.floor(Date.now() / 1000) + Math.max(0, expiresIn),
        scope: response.scope ?? session.scopes.join(' '),
      },
    };
  }

  const login: Login = {
    issuer: settings.issuer,
    clientId: settings.clientId,

    async createAuthorization(authorization = {}) {
      checkCall('login.createAuthorization', authorization, AUTHORIZATION_OPTIONS);
      const config = await configure(authorization.signal);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = authorization.state ?? oidc.randomState();
      const nonce = oidc.randomNonce();
      if (
        authorization.maxAge !== undefined &&
        !(Number.isInteger(authorization.maxAge) && authorization.maxAge >= 0)
      ) {
        throw new TypeError('createAuthorization: maxAge must be a non-negative integer of seconds');
      }
      const parameters: Record<string, string> = {
        redirect_uri: settings.redirectUri,
        scope: authorization.scope ?? settings.scope,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...(settings.resource === undefined ? {} : { resource: settings.resource }),
        ...(authorization.maxAge === undefined ? {} : { max_age: String(authorization.maxAge) }),
        ...(authorization.acrValues === undefined ? {} : { acr_values: authorization.acrValues }),
        ...(authorization.prompt === undefined ? {} : { prompt: authorization.prompt }),
        ...(authorization.loginHint === undefined ? {} : { login_hint: authorization.loginHint }),
      };
      return {
        url: oidc.buildAuthorizationUrl(config, parameters),
        checks: {
          state,
          nonce,
          codeVerifier,
          ...(authorization.maxAge === undefined ? {} : { maxAge: authorization.maxAge }),
        },
      };
    },

    async handleCallback(callbackUrl, checks, call = {}) {
      if (
        typeof checks?.state !== 'string' ||
        typeof checks.nonce !== 'string' ||
        typeof checks.codeVerifier !== 'string'
      ) {
        throw new TypeError(
          'handleCallback: checks must carry the state, nonce and codeVerifier of the authorization',
        );
      }
      validateCallOptions('login.handleCallback', call, SESSION_CALL_OPTIONS);
      const config = await configure(call.signal);
      const current = typeof callbackUrl === 'string' ? new URL(callbackUrl) : callbackUrl;
      const response = await perform('the login callback', call.signal, [checks.codeVerifier], () =>
        oidc.authorizationCodeGrant(
          config,
          current,
          {
            pkceCodeVerifier: checks.codeVerifier,
            expectedState: checks.state,
            expectedNonce: checks.nonce,
            idTokenExpected: true,
            ...(checks.maxAge === undefined ? {} : { maxAge: checks.maxAge }),
          },
          settings.resource === undefined ? undefined : { resource: settings.resource },
        ),
      );
      return sessionFrom(response, call);
    },

    async refresh(refreshToken, call = {}) {
      if (typeof refreshToken !== 'string' || refreshToken.length === 0) {
        throw new LoginFailed('missing_refresh_token', 'there is no refresh token to redeem');
      }
      validateCallOptions('login.refresh', call, [...SESSION_CALL_OPTIONS, 'onRotated']);
      if (call.onRotated !== undefined && typeof call.onRotated !== 'function') {
        throw new TypeError('login.refresh: options.onRotated must be a function');
      }
      const config = await configure(call.signal);
      const response = await perform('the refresh token grant', call.signal, [refreshToken], () =>
        oidc.refreshTokenGrant(
          config,
          refreshToken,
          settings.resource === undefined ? undefined : { resource: settings.resource },
        ),
      );
      const rotated = response.refresh_token;
      if (call.onRotated !== undefined && typeof rotated === 'string' && rotated !== refreshToken) {
        await call.onRotated(rotated);
      }
      return sessionFrom(response, call);
    },

    introspect,

    async revoke(token, call = {}) {
      checkCall('login.revoke', call, ['signal', 'tokenTypeHint']);
      if (typeof token !== 'string' || token.length === 0) {
        throw new TypeError('login.revoke: token must be a non-empty string');
      }
      if (
        call.tokenTypeHint !== undefined &&
        call.tokenTypeHint !== 'refresh_token' &&
        call.tokenTypeHint !== 'access_token'
      ) {
        throw new TypeError("login.revoke: options.tokenTypeHint must be 'refresh_token' or 'access_token'");
      }
      const config = await configure(call.signal);
      await perform('token revocation', call.signal, [token], () =>
        oidc.tokenRevocation(
          config,
          token,
          call.tokenTypeHint === undefined ? undefined : { token_type_hint: call.tokenTypeHint },
        ),
      );
    },

    async verifyAccessToken(token, call = {}) {
      validateCallOptions('login.verifyAccessToken', call, SESSION_CALL_OPTIONS);
      const { session } = await verifier.verify(token, {
        ...call,
        revalidate: async (revalidation) => {
          const signal = revalidation?.signal;
          const result = await introspect(token, signal === undefined ? {} : { signal });
          if (result.active !== true) {
            throw new TokenVerificationFailed(
              'inactive',
              'the provider reports the token inactive (revoked or expired)',
            );
          }
          if (result.sub !== undefined && result.sub !== session.user.sub) {
            throw new TokenVerificationFailed('inactive', 'introspection names another user');
          }
        },
      });
      return session;
    },

    async logoutUrl(logout = {}) {
      checkCall('login.logoutUrl', logout, ['idTokenHint', 'postLogoutRedirectUri', 'state']);
      const config = await configure(undefined);
      return oidc.buildEndSessionUrl(config, {
        ...(logout.idTokenHint === undefined ? {} : { id_token_hint: logout.idTokenHint }),
        ...(logout.postLogoutRedirectUri === undefined
          ? {}
          : { post_logout_redirect_uri: logout.postLogoutRedirectUri }),
        ...(logout.state === undefined ? {} : { state: logout.state }),
        client_id: settings.clientId,
      });
    },
  };
  return Object.freeze(login);
}

/** Per-call options of the calls that create a session. */
const SESSION_CALL_OPTIONS = [
  'signal',
  'sessionId',
  'mode',
] as const satisfies readonly (keyof SessionCallOptions)[];

const AUTHORIZATION_OPTIONS = [
  'maxAge',
  'acrValues',
  'prompt',
  'state',
  'scope',
  'loginHint',
  'signal',
] as const satisfies readonly (keyof CreateAuthorizationOptions)[];

/** A method's options must be an object with known keys and, when given, an AbortSignal as `signal`. */
function checkCall(where: string, call: object, known: readonly string[]): void {
  if (typeof call !== 'object' || call === null) throw new TypeError(`${where}: options must be an object`);
  assertKnownOptions(where, call, known);
  const { signal } = call as { signal?: unknown };
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${where}: options.signal must be an AbortSignal`);
  }
}
