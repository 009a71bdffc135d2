// Decisions as MCP results
export type { GateErrorResultOptions, StepUpUrl } from './gate-error-result';
export { GATE_ERROR_META_KEY, gateErrorResult } from './gate-error-result';
// Serving on node:http
export { toNodeListener } from './node-listener';
// Protecting an MCP server
export type { ProtectedMcpServer, ProtectedToolOptions, ProtectMcpServerOptions } from './protect-mcp-server';
export { protectMcpServer } from './protect-mcp-server';
// RFC 9728 protected resource metadata
export type { ProtectedResourceMetadataOptions } from './protected-resource-metadata';
export { protectedResourceMetadata, protectedResourceMetadataUrl } from './protected-resource-metadata';
