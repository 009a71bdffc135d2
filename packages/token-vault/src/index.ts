// The vault and its guard

// Reading the token inside a tool
export { connectionCredentialKey, getConnectionToken } from './connection-token';
// Errors
export type { TokenExchangeFailedOptions, TokenExchangeFailure } from './errors';
export { TokenExchangeFailed } from './errors';
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
