/**
 * `@agentgate/core/errors`: core's errors, their codes and their type guards, and nothing else — no `node:` module
 * anywhere in its import graph, so a browser bundle (a chat UI that reads a tool output's decision, a page that
 * revives an interrupt from an HTTP body) can import it. The same classes as the main entry's, in ESM and in
 * CommonJS (the build shares one chunk between the two entries): one list of codes, one set of checks.
 */
export type {
  AgentGateErrorCode,
  AgentGateErrorOptions,
  AnyGateDenied,
  AnyGateDeniedJSON,
  AnyGateInterrupt,
  AnyGateInterruptJSON,
  ArgumentIssue,
  DenialCode,
  DenialDetailsByCode,
  DetailsOf,
  ErrorDetails,
  GateErrorJSON,
  InterruptCode,
  InterruptDetailsByCode,
  StoreErrorCode,
} from './errors';
export {
  AgentGateError,
  AuditFailed,
  ConnectionTokenRejected,
  GateDenied,
  GateInterrupt,
  isConnectionTokenRejected,
  isDenialCode,
  isGateDecision,
  isGateDenied,
  isGateInterrupt,
  isInterruptCode,
  reviveGateError,
} from './errors';
