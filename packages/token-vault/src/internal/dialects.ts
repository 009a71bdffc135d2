import type { TokenExchangeFailure } from '../errors';

/** The two wire dialects of the exchange. */
export type Dialect = 'rfc8693' | 'auth0';

export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const AUTH0_FEDERATED_CONNECTION_GRANT_TYPE =
  'urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token';
export const CONNECTION_ACCESS_TOKEN_TYPE = 'urn:agentgate:token-type:connection-access-token';
export const AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE =
  'http://auth0.com/oauth/token-type/federated-connection-access-token';
/** How the standard dialect names a connection in `audience`: `connection:acme-calendar`. */
export const CONNECTION_TARGET_PREFIX = 'connection:';

const SUBJECT_TOKEN_TYPES = {
  access_token: 'urn:ietf:params:oauth:token-type:access_token',
  refresh_token: 'urn:ietf:params:oauth:token-type:refresh_token',
} as const;

export interface ExchangeRequest {
  connection: string;
  scopes: readonly string[];
  subjectToken: string;
  subjectTokenType: 'access_token' | 'refresh_token';
  /** Auth0 dialect: the user's id at the issuer, sent as `login_hint`. */
  loginHint?: string;
  /**
   * RFC 8693 dialect, on-behalf-of: the API (resource audience) to get an access token for, instead of the
   * connection's token; `connection` then only names the exchange in errors.
   */
  audience?: string;
}

/** The grant type and body parameters of one exchange in the dialect's words. */
export function exchangeParameters(
  dialect: Dialect,
  request: ExchangeRequest,
): { grantType: string; requestedTokenType: string; parameters: Record<string, string> } {
  const common = {
    subject_token: request.subjectToken,
    subject_token_type: SUBJECT_TOKEN_TYPES[request.subjectTokenType],
    scope: request.scopes.join(' '),
  };
  if (dialect === 'auth0') {
    return {
      grantType: AUTH0_FEDERATED_CONNECTION_GRANT_TYPE,
      requestedTokenType: AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
      parameters: {
        ...common,
        requested_token_type: AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
        connection: request.connection,
        ...(request.loginHint === undefined ? {} : { login_hint: request.loginHint }),
      },
    };
  }
  const requestedTokenType =
    request.audience === undefined ? CONNECTION_ACCESS_TOKEN_TYPE : SUBJECT_TOKEN_TYPES.access_token;
  return {
    grantType: TOKEN_EXCHANGE_GRANT_TYPE,
    requestedTokenType,
    parameters: {
      ...common,
      requested_token_type: requestedTokenType,
      audience: request.audience ?? `${CONNECTION_TARGET_PREFIX}${request.connection}`,
    },
  };
}

/** Markers servers put at the start of `error_description` when the user has no connected account. */
const NOT_CONNECTED = /^(connection_not_found|federated_connection_refresh_token_not_found)\b/;

/**
 * Sorts an OAuth error response from the exchange into what the caller can do about it:
 * - `invalid_grant` with a not-connected marker (`connection_not_found`, Auth0's
 *   `federated_connection_refresh_token_not_found`) ⇒ `not_connected` (also after the user revoked access);
 * - `insufficient_scope` ⇒ `missing_scopes` (the account was connected with fewer scopes);
 * - any other `invalid_grant` and `access_denied` ⇒ `invalid_subject` (invalid, expired or another user's token);
 * - 5xx ⇒ `unavailable`; anything else (`invalid_client`, `invalid_scope` for a scope the connection does not
 *   have, `invalid_target` for an unknown connection) ⇒ `failed`: connecting again would not help.
 */
export function classifyOAuthError(error: string, description: string, status: number): TokenExchangeFailure {
  if (status >= 500) return 'unavailable';
  if (error === 'insufficient_scope') return 'missing_scopes';
  if (error === 'invalid_grant') return NOT_CONNECTED.test(description) ? 'not_connected' : 'invalid_subject';
  if (error === 'access_denied') return 'invalid_subject';
  return 'failed';
}
