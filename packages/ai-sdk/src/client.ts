/**
 * The browser-safe part of `@agentgate/ai-sdk`: recognise AgentGate denials and interrupts in tool results (UI message
 * parts, `generateText` results, anything that crossed HTTP). No Node imports, no runtime dependency.
 */
import type { AnyGateDeniedJSON, AnyGateInterruptJSON } from '@agentgate/core';

/** What a gated tool returns instead of its output when the gate denied or interrupted the call. */
export interface AgentGateToolResult {
  /** Core's JSON form of the decision: `{ kind: 'denied' | 'interrupt', code, message, guard?, details }`. */
  readonly agentgate: AnyGateDeniedJSON | AnyGateInterruptJSON;
}

const DENIAL_CODES: readonly string[] = [
  'FORBIDDEN',
  'INSUFFICIENT_SCOPE',
  'INVALID_ARGUMENTS',
  'NO_SESSION',
  'GUARD_FAILED',
  'RATE_LIMITED',
];
const INTERRUPT_CODES: readonly string[] = [
  'CONNECTION_REQUIRED',
  'APPROVAL_PENDING',
  'APPROVAL_DENIED',
  'APPROVAL_EXPIRED',
  'STEP_UP_REQUIRED',
];

/**
 * True when a tool output is an AgentGate denial or interrupt (`{ agentgate: { kind, code, message, details } }`), so
 * narrowing on `output.agentgate.code` types `details`. Never throws.
 *
 * @example
 * if (part.state === 'output-available' && isAgentGateResult(part.output)) {
 *   const decision = part.output.agentgate;
 *   if (decision.code === 'CONNECTION_REQUIRED') showConnectButton(decision.details.connectUrl);
 * }
 */
export function isAgentGateResult(value: unknown): value is AgentGateToolResult {
  try {
    if (typeof value !== 'object' || value === null) return false;
    const decision = (value as { agentgate?: unknown }).agentgate;
    if (typeof decision !== 'object' || decision === null) return false;
    const { kind, code, message, details } = decision as Record<string, unknown>;
    const codes = kind === 'denied' ? DENIAL_CODES : kind === 'interrupt' ? INTERRUPT_CODES : [];
    return (
      typeof code === 'string' &&
      codes.includes(code) &&
      typeof message === 'string' &&
      hasPromisedDetails(code, details)
    );
  } catch {
    return false;
  }
}

const isStringList = (value: unknown): boolean =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
const isStringRecord = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((item) => typeof item === 'string');

/**
 * The facts core's types promise for a code are there, so narrowing on `code` only types what can be read. The same
 * checks as core's `isGateDenied` / `isGateInterrupt`, which this browser-safe entry cannot import.
 */
function hasPromisedDetails(code: string, details: unknown): boolean {
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return false;
  const facts = details as Record<string, unknown>;
  switch (code) {
    case 'CONNECTION_REQUIRED':
      return (
        typeof facts.connection === 'string' &&
        isStringList(facts.requiredScopes) &&
        (facts.connectUrl === undefined || typeof facts.connectUrl === 'string')
      );
    case 'STEP_UP_REQUIRED':
      return isStringRecord(facts.authorizationParams);
    case 'INSUFFICIENT_SCOPE':
      return isStringList(facts.missing) && isStringList(facts.required);
    case 'INVALID_ARGUMENTS':
      return Array.isArray(facts.issues);
    case 'RATE_LIMITED':
      return (
        typeof facts.retryAfter === 'number' && Number.isFinite(facts.retryAfter) && facts.retryAfter >= 0
      );
    default:
      return true;
  }
}

/**
 * True when a tool output is an AgentGate interrupt: the user can act (connect an account, approve, sign in again)
 * and the call may then run.
 *
 * @example if (isAgentGateInterrupt(output)) renderAction(output.agentgate);
 */
export function isAgentGateInterrupt(
  value: unknown,
): value is AgentGateToolResult & { readonly agentgate: AnyGateInterruptJSON } {
  return isAgentGateResult(value) && value.agentgate.kind === 'interrupt';
}
