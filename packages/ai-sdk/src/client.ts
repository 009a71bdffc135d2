/**
 * The browser-safe part of `@agentgate/ai-sdk`: recognise AgentGate denials and interrupts in tool results (UI message
 * parts, `generateText` results, anything that crossed HTTP). Its only import is core's browser-safe
 * `@agentgate/core/errors`, whose checks are core's own: no Node module anywhere in its graph.
 */
import {
  type AnyGateDeniedJSON,
  type AnyGateInterruptJSON,
  isGateDenied,
  isGateInterrupt,
} from '@agentgate/core/errors';

/** What a gated tool returns instead of its output when the gate denied or interrupted the call. */
export interface AgentGateToolResult {
  /** Core's JSON form of the decision: `{ kind: 'denied' | 'interrupt', code, message, guard?, details }`. */
  readonly agentgate: AnyGateDeniedJSON | AnyGateInterruptJSON;
}

/**
 * True when a tool output is an AgentGate denial or interrupt (`{ agentgate: { kind, code, message, details } }`), so
 * narrowing on `output.agentgate.code` types `details`. The decision must be core's JSON form with a known code of its
 * kind and the details core promises for that code (core's `isGateDenied` / `isGateInterrupt`). Never throws.
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
    // The JSON form only (with its `kind`): a thrown error object is not a tool output.
    const { kind } = decision as { kind?: unknown };
    if (kind === 'denied') return isGateDenied(decision);
    if (kind === 'interrupt') return isGateInterrupt(decision);
    return false;
  } catch {
    return false;
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
