/*
 * The dev server's token vault: mock external providers, connected accounts, and token exchange
 * (RFC 8693 and the Auth0 federated-connection dialect) at the provider's token endpoint.
 *
 * HOW TO WIRE IT (in `startDevServer`):
 *
 *   import { createDevTokenVault, DEV_VAULT_GRANT_TYPES } from './vault';
 *
 *   const vault = createDevTokenVault({
 *     connections: [{ name: 'acme-calendar', displayName: 'Acme Calendar', scopes: ['events.read', 'events.write'] }],
 *     externalTokenTtlSeconds: options.externalTokenTtlSeconds,  // optional, default 300
 *     signIn: (user, { signal }) => login(user, { signal }),       // -> { cookie: 'Cookie header of the signed-in session' }
 *   });
 *   // every client that may exchange tokens lists the grant types:
 *   //   grant_types: ['authorization_code', 'refresh_token', ..., ...DEV_VAULT_GRANT_TYPES]
 *   const provider = new Provider(issuer, configuration);
 *   vault.attach(provider);          // right after `new Provider`, before the first request
 *   // DevServer.connections = vault.handle;   close(): await vault.close();
 *
 * Needs nothing else from the provider's configuration: it reads the signed-in user with
 * `provider.Session.get(ctx)`, verifies subject tokens with `provider.RefreshToken.find` /
 * `provider.AccessToken.find` or, for JWT access tokens, the provider's `jwks` endpoint.
 * Auth0's JSON body at the token endpoint needs the host's JSON -> form middleware.
 * Routes it serves: `/ext/:connection/{authorize,token,revoke,api/:collection}` and
 * `/connections[/:connection/{connect,callback,disconnect}]` (see README.md here).
 */

// Wire constants
export {
  ACCESS_TOKEN_TYPE,
  AUTH0_FEDERATED_CONNECTION_GRANT_TYPE,
  AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
  AUTH0_REFRESH_TOKEN_NOT_FOUND,
  CONNECTION_ACCESS_TOKEN_TYPE,
  CONNECTION_NOT_FOUND,
  CONNECTION_TARGET_PREFIX,
  DEV_VAULT_GRANT_TYPES,
  REFRESH_TOKEN_TYPE,
  SUBJECT_TOKEN_INVALID,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from './constants';
// Factory
export { createDevTokenVault } from './create-dev-token-vault';

// Types
export type {
  CreateDevTokenVaultOptions,
  DevConnectionDefinition,
  DevConnectionInfo,
  DevConnections,
  DevExchangeEvent,
  DevExchangeFilter,
  DevSignIn,
  DevTokenVault,
} from './types';
