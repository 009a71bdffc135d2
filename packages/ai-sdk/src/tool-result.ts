import { type AnyGateDenied, type AnyGateInterrupt, isGateDecision } from '@agentgate/core';
import type { AgentGateToolResult } from './client';

/**
 * The tool result that stands for a denial or an interrupt: core's JSON form under `agentgate`, so the UI stream
 * carries it as the tool's output, the model reads why the call did not run, and `isAgentGateResult` recognises it.
 * `undefined` for anything that is not a denial or an interrupt.
 *
 * @example
 * const result = toAgentGateResult(new GateInterrupt('APPROVAL_PENDING', 'approve in the app'));
 * // { agentgate: { kind: 'interrupt', code: 'APPROVAL_PENDING', message: 'approve in the app', details: {} } }
 */
export function toAgentGateResult(error: unknown): AgentGateToolResult | undefined {
  if (!isGateDecision(error)) return undefined;
  const decision = error as AnyGateDenied | AnyGateInterrupt;
  // A plain JSON copy: what the stream carries is exactly what `toJSON()` says, frozen for the caller.
  return Object.freeze({ agentgate: JSON.parse(JSON.stringify(decision.toJSON())) });
}
