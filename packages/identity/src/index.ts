// Access-token verification (RFC 9068)

// Background sessions
export type { CreateBackgroundSessionOptions, ResumeBackgroundSessionOptions } from './background-session';
export { backgroundSessionKey, createBackgroundSession, resumeBackgroundSession } from './background-session';

// Claim mappings
export type { ClaimMapping, ClaimReader, TokenClaims } from './claim-mappings';
export { claimMappings } from './claim-mappings';
// Errors
export type { LoginFailureReason, TokenRejectionReason } from './errors';
export { LoginFailed, TokenVerificationFailed } from './errors';
// Guards
export { requireActiveSession } from './guards/require-active-session';
export type { RequireFreshAuthOptions, StepUpDetails } from './guards/require-fresh-auth';
export { requireFreshAuth, stepUpOptions } from './guards/require-fresh-auth';
export type { RequireRolesOptions } from './guards/require-roles';
export { requireRoles } from './guards/require-roles';
export { requireScopes } from './guards/require-scopes';
export type { TenantSource } from './guards/require-tenant';
export { requireTenant } from './guards/require-tenant';
// OIDC login for apps
export type {
  AuthorizationChecks,
  AuthorizationRequest,
  CreateAuthorizationOptions,
  CreateLoginOptions,
  Login,
  LoginResult,
  LoginTokens,
  RefreshOptions,
  SessionCallOptions,
} from './login';
export { createLogin } from './login';
// First-party APIs: the acting agent of a delegated token, and the resource-server middleware
export type {
  AgentPolicy,
  AgentPolicyInput,
  ApiCaller,
  ApiCallerVariables,
  ApiProtection,
  FetchStyleContext,
  NodeStyleRequest,
  NodeStyleResponse,
  ProtectApiOptions,
} from './protect-api';
export { ApiAuthorizationFailed, bearerChallenge, protectApi } from './protect-api';
export { readBearerToken } from './read-bearer-token';
export type { TokenActor } from './token-actor';
export { tokenActor } from './token-actor';
export type {
  AccessTokenVerifier,
  AccessTokenVerifierOptions,
  VerifiedAccessToken,
  VerifyAccessTokenOptions,
  VerifyCallOptions,
} from './verify-access-token';
export { createAccessTokenVerifier, verifyAccessToken } from './verify-access-token';
