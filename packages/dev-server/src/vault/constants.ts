/** Grant type of the standard OAuth 2.0 Token Exchange (RFC 8693). */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** Grant type of Auth0's federated-connection token exchange (the Auth0 Token Vault dialect). */
export const AUTH0_FEDERATED_CONNECTION_GRANT_TYPE =
  'urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token';

/** Both token-vault grant types: add them to a client's `grant_types` so it may call the exchange. */
export const DEV_VAULT_GRANT_TYPES: readonly string[] = [
  TOKEN_EXCHANGE_GRANT_TYPE,
  AUTH0_FEDERATED_CONNECTION_GRANT_TYPE,
];

/** RFC 8693 subject token type of an access token issued by the dev server. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** RFC 8693 subject token type of a refresh token issued by the dev server. */
export const REFRESH_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:refresh_token';

/** AgentGate's token type of an access token for a connected external account (standard dialect). */
export const CONNECTION_ACCESS_TOKEN_TYPE = 'urn:agentgate:token-type:connection-access-token';

/** Auth0's token type of a federated-connection access token (Auth0 dialect). */
export const AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE =
  'http://auth0.com/oauth/token-type/federated-connection-access-token';

/** Prefix of an `audience` / `resource` value that names a connection: `connection:acme-calendar`. */
export const CONNECTION_TARGET_PREFIX = 'connection:';

/**
 * Machine-readable marker at the start of `error_description` (with `error=invalid_grant`) when the
 * user has no connected account for the connection (standard dialect).
 */
export const CONNECTION_NOT_FOUND = 'connection_not_found';

/** The same marker in the Auth0 dialect, spelled as Auth0 spells it. */
export const AUTH0_REFRESH_TOKEN_NOT_FOUND = 'federated_connection_refresh_token_not_found';

/** `error_description` (with `error=invalid_grant`) when the subject token is unusable. */
export const SUBJECT_TOKEN_INVALID = 'subject token invalid';

/**
 * Private claim of the dev server's JWT access tokens: the id of the grant (login, consent, CIBA
 * approval) they were issued under. The vault accepts a JWT subject token only while that grant is
 * live, so revoking the login (`/oauth/revoke` of its refresh token) stops its JWTs from exchanging.
 */
export const GRANT_ID_CLAIM = 'urn:agentgate:grant_id';
