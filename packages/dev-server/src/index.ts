// Start the server

// Seeds
export { allGrantTypes, defaultSeed } from './default-seed';
export { loadSeedFile, validateSeed } from './parse-seed';
export { startDevServer } from './start-dev-server';

// Types
export type {
  ApprovalFilter,
  ApprovalItem,
  ApprovalStatus,
  DevApprovals,
  DevClient,
  DevConnection,
  DevFgaSeed,
  DevLoginOptions,
  DevLoginTokens,
  DevSeed,
  DevServer,
  DevTenant,
  DevUser,
  StartDevServerOptions,
} from './types';
