// The vault and its guard

// Reading the token inside a tool
export { connectionCredentialKey, getConnectionToken } from './connection-token';
// Errors
export type { TokenExchangeFailedOptions, TokenExchangeFailure } from './errors';
export { TokenExchangeFailed } from './errors';
// Delegation to first-party APIs (RFC 8693 on-behalf-of, the agent as actor)
export type { DelegatedToken, OnBehalfOf, OnBehalfOfOptions } from './on-behalf-of';
export { createOnBehalfOf, delegatedCredentialKey, getDelegatedToken } from './on-behalf-of';
export type {
  ConnectionRequest,
  ConnectionToken,
  ConnectUrlInput,
  TokenVault,
  TokenVaultDialect,
  TokenVaultFetch,
  TokenVaultOptions,
} from './token-vault';
export { createTokenVault } from './token-vault';
