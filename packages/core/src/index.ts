// Sessions and their propagation

// Cancellation helpers for feature packages
export { raceAbort, sleep } from './abort';
// Argument digests and redaction
export { MAX_ARGS_DEPTH } from './args-snapshot';
export type { AuditLog, AuditSink, CreateAuditLogOptions } from './audit/audit-log';
export { createAuditLog } from './audit/audit-log';
// Audit log
export type { AuditEvent, AuditEventDraft, AuditOutcome, AuditPhase } from './audit/event';
export { GENESIS_HASH, hashAuditEvent } from './audit/event';
export type { JsonlAuditSink, MemoryAuditSink, ReadAuditLogOptions } from './audit/sinks';
export { jsonlAudit, memoryAudit, readAuditLog } from './audit/sinks';
export type {
  AuditChainBreak,
  AuditChainSummary,
  AuditChainVerdict,
  VerifyAuditChainOptions,
} from './audit/verify';
export { verifyAuditChain } from './audit/verify';
// Errors and interrupts: the browser-safe `@agentgate/core/errors` entry, whole
export * from './browser-errors';
export type { ExecutionContext } from './call-context';
export { currentCall, getCredential } from './call-context';
export { canonicalJson, digestArgs, sha256Hex } from './digest';
// The gate and its guards
export type {
  Gate,
  GateCall,
  GatedCallOptions,
  GatedFunction,
  GatedTool,
  GateOptions,
  ToolExecute,
} from './gate';
export { createGate } from './gate';
export type { Guard, GuardAnnotations, GuardContext, Risk, ToolDescriptor } from './guard';
export { defineGuard } from './guard';
// Limit stores: atomic counters for rate limits and quotas
export type {
  LimitConsumeRequest,
  LimitConsumeResult,
  LimitStore,
  MemoryLimitStoreOptions,
} from './limit-store';
export { assertLimitRequest, MemoryLimitStore } from './limit-store';
export type { MemoryStoreOptions } from './memory-store';
export { MemoryStore } from './memory-store';
// Observers (spans, metrics) and shadow mode
export type {
  GateObserver,
  ObservedAuditEvent,
  ObservedExecution,
  ObservedGuard,
  ObservedPhaseEnd,
  ObservedRun,
  ObservedRunEnd,
  ObserverFailure,
  PhaseObservation,
  RunObservation,
} from './observer';
export { assertKnownOptions } from './options';
export {
  boundServerText,
  isSecretName,
  MAX_SERVER_TEXT,
  REDACTED,
  redactLiterals,
  redactSecrets,
  redactValue,
  TRUNCATED,
} from './redact';
export type { RiskPolicy } from './risk-policy';
export { defaultRiskPolicy, isRisk } from './risk-policy';
// Safe causes: library errors reduced to what may be kept (no response bodies, no tokens)
export { SAFE_CAUSE, SafeCause, safeCause } from './safe-cause';
export { SentSecrets } from './sent-secrets';
export type { AgentSession, CreateSessionOptions, SessionUser, SessionView } from './session';
export {
  createSession,
  currentSession,
  isAgentSession,
  requireSession,
  runWithSession,
  toSessionView,
} from './session';
export type { ShadowOptions } from './shadow';
export type { StandardSchemaV1 } from './standard-schema';
// Stores
export type { Store, StorePutOptions } from './store';
export { describeThrown } from './thrown';
