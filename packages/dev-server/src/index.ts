// Start the server

// Seeds
export { allGrantTypes, defaultSeed } from './default-seed';
// Page look (the dev server's pages, for apps that reuse it)
export { escapeHtml } from './internal/pages/escape-html';
export { type RenderDevPageOptions, renderDevPage } from './internal/pages/render-dev-page';
export { devPageStyles, devPageStylesHash } from './internal/pages/styles';
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
  DevResourceServer,
  DevSeed,
  DevServer,
  DevTenant,
  DevUser,
  StartDevServerOptions,
} from './types';
export type { DevConnectionInfo, DevConnections, DevExchangeEvent, DevExchangeFilter } from './vault';
// Token vault (wire constants and the connections handle)
export {
  AUTH0_FEDERATED_CONNECTION_GRANT_TYPE,
  AUTH0_FEDERATED_CONNECTION_TOKEN_TYPE,
  DEV_VAULT_GRANT_TYPES,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from './vault';
