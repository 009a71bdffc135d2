// The authorizer

export type { AuthorizedToolsOptions, AuthorizedToolsResult } from './authorized-tools';
export type {
  FgaAuthorizer,
  FgaAuthorizerCommonOptions,
  FgaAuthorizerOptions,
  FgaBatchCheckItem,
  FgaBatchCheckRequest,
  FgaCheckRequest,
  FgaCredentials,
  FgaDecisionCacheOptions,
  FgaListObjectsRequest,
  FgaLocalAuthorizerOptions,
  FgaServerAuthorizerOptions,
} from './create-fga-authorizer';
export { createFgaAuthorizer } from './create-fga-authorizer';
// Errors
export type { FgaFailureReason, FgaOperation } from './errors';
export { FgaRequestFailed } from './errors';
// Tools
export type {
  FgaGuardArgumentOptions,
  FgaGuardOptions,
  FgaGuardSessionOptions,
  FromCall,
  FromSession,
} from './fga-guard';
// Document filter (retrieval)
export type {
  FilterDocumentsOptions,
  FilterDocumentsResult,
  FilterStats,
  FilterStrategy,
} from './filter-documents';
export type { LocalFgaEngine } from './local-engine';
export type {
  AllowedObjects,
  RetrieveDocumentsOptions,
  RetrieveDocumentsResult,
  RetrieveRequest,
  RetrieveRound,
  RetrieveStats,
} from './retrieve-documents';
export type { FgaCondition, FgaConsistency, FgaQuestionContext, FgaTuple, FgaTupleKey } from './types';
