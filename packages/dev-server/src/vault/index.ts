/*
 * The dev server's token vault: mock external providers, connected accounts, and token exchange
 * (RFC 8693 and the Auth0 federated-connection dialect) at the provider's token endpoint.
 *
 * HOW IT IS WIRED (`src/start-dev-server.ts` does this):
 *
 *   import { createDevTokenVault } from './vault';
 *
 *   // before `provider = new Provider(...)`:
 *   const vault = createDevTokenVault({
 *     connections: seed.connections,
 *     externalTokenTtlSeconds: options.externalTokenTtlSeconds,   // new StartDevServerOptions field, default 300
 *     // Signs `user` (username or sub) in through the login pages and returns the browser's cookies:
 *     signIn: async (user, { signal }) => ({ cookie: <the login helper's jar.header() after the flow> }),
 *     // with `https: true`: fetch: a fetch that trusts the generated CA (the vault calls back into the server)
 *     accountExists: (sub) => accounts.bySub(sub) !== undefined,  // subject tokens must be users'
 *     csrf,                                                        // the host's CsrfTokens (inbox forms too)
 *   });
 *   // in the provider's extraTokenClaims: `[GRANT_ID_CLAIM]: token.grantId` on access tokens, so a JWT
 *   // subject token is accepted only while its grant is live.
 *   // right after `provider = new Provider(...)`, before the first request:
 *   vault.attach(provider);
 *   // in the returned DevServer:      connections: vault.handle,     (type `DevConnections`)
 *   // in close():                     await vault.close();
 *
 * Seeded clients that may exchange tokens list both grant types (`DEV_VAULT_GRANT_TYPES`) in
 * `grant_types`; `attach` registers them with `provider.registerGrantType`. Nothing else in the
 * provider configuration is needed: the vault reads the signed-in user with `provider.Session.get(ctx)`
 * and verifies subject tokens with `provider.RefreshToken.find` / `provider.AccessToken.find`, or, for
 * JWT access tokens, with `jose` against the provider's `jwks` endpoint. Auth0's JSON body and its
 * `audience` parameter reach the grant through the host's request normalizer (audience -> resource).
 * Routes it serves: `/ext/:connection/{authorize,token,revoke,api/:collection}` and
 * `/connections[/:connection/{connect,callback,disconnect}]`: connect and disconnect are CSRF-protected
 * POSTs; a GET connect link only shows a confirmation page (see README.md in this folder).
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
  GRANT_ID_CLAIM,
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
