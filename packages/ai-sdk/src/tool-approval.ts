import { assertKnownOptions, isAgentSession } from '@agentgate/core';
import type { ModelMessage, ToolApprovalStatus } from 'ai';
import { approvedInChat } from './internal/chat-messages';
import { passesPrecheck } from './internal/precheck';
import { bridgeInputOf, gatedTools, ownValue } from './internal/registry';
import { sessionForCall } from './session-context';

/** Options of {@link agentGateToolApproval}. */
export interface AgentGateToolApprovalOptions {
  /** The status of tools that `withAuth` did not build. @default 'not-applicable' (they run as before) */
  otherTools?: ToolApprovalStatus;
}

/**
 * What `agentGateToolApproval()` returns: a generic `toolApproval` function of the AI SDK, for any tool set (it reads
 * only the tool name, call id and input of a call, the tools, their contexts and the messages).
 */
export type AgentGateToolApproval = (options: {
  readonly toolCall: { readonly toolName: string; readonly toolCallId: string; readonly input: unknown };
  readonly tools: unknown;
  readonly toolsContext: unknown;
  readonly messages: readonly ModelMessage[];
}) => Promise<ToolApprovalStatus>;

const OPTIONS = ['otherTools'] as const;

/**
 * The AI SDK `toolApproval` for gated tools. For a tool with `auth.approval()` and an interactive session, it first
 * runs the read-only guards before the approval guard (kinds `identity`, `fga`, `vault`): when one refuses or
 * interrupts, nothing is asked and the gate returns that decision when the tool runs. Otherwise it creates
 * the AgentGate in-app approval of the call (bound to the user, the session, the tool and the digest of the validated
 * arguments) and answers `user-approval`, so the chat shows the SDK's own approval request with the binding message
 * as its reason. When the user approves, the tool's `execute` records that "yes" as the decision of exactly that
 * approval and the gate consumes it once; an approval answered for other arguments, another session or another user
 * decides nothing, and the call interrupts with `APPROVAL_PENDING` instead of running. Background sessions are left to
 * the guard (CIBA on the user's device). Every other decision is the gate's, when the tool runs.
 *
 * @throws TypeError on unknown options
 * @example
 * streamText({ model, tools, toolApproval: agentGateToolApproval(), toolsContext: sessionToolsContext(tools, session) });
 */
export function agentGateToolApproval(options: AgentGateToolApprovalOptions = {}): AgentGateToolApproval {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('agentGateToolApproval: options must be an object');
  }
  assertKnownOptions('agentGateToolApproval', options, OPTIONS);
  const otherTools = options.otherTools;
  if (otherTools !== undefined && !isApprovalStatus(otherTools)) {
    throw new TypeError(
      "agentGateToolApproval: otherTools must be an AI SDK approval status ('not-applicable', 'approved', 'denied', 'user-approval' or { type, reason? })",
    );
  }
  return async ({ toolCall, tools, toolsContext, messages }) => {
    const tool = ownValue(tools, toolCall.toolName);
    const binding = tool === undefined ? undefined : gatedTools.get(tool as object);
    if (!binding) return otherTools;
    // The SDK asks again when the chat's answer comes back: the tool's execute then records that answer for the
    // approval asked for before. Nothing is requested here, so no answer can approve a request made after it.
    if (approvedInChat(messages, toolCall.toolCallId)) return 'not-applicable';
    const session = sessionForCall(ownValue(toolsContext, toolCall.toolName));
    // No session (or none well-formed), a background session, or no chat approval on this tool: the gate decides when
    // the tool runs.
    if (!binding.bridge || !isAgentSession(session) || session.mode !== 'interactive')
      return 'not-applicable';
    try {
      const request = await bridgeInputOf(binding.tool, session, toolCall.input, toolCall.toolCallId);
      if (!request) return 'not-applicable'; // arguments the schema refuses: refused on record by the gate
      // The guards before the approval first: a user they refuse (or who must connect an account first) is not asked
      // to approve a call that cannot run; the gate refuses it on record when the tool runs.
      if (!(await passesPrecheck(binding.precheck, request))) return 'not-applicable';
      return await binding.bridge.request(request);
    } catch {
      // Arguments that cannot be digested, a store that failed: the tool's execute runs the gate, and its approval
      // guard refuses or interrupts on record. Nothing runs unapproved.
      return 'not-applicable';
    }
  };
}

const STATUSES: readonly unknown[] = ['not-applicable', 'approved', 'denied', 'user-approval'];

function isApprovalStatus(value: unknown): value is ToolApprovalStatus {
  if (STATUSES.includes(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const { type, reason } = value as { type?: unknown; reason?: unknown };
  return STATUSES.includes(type) && (reason === undefined || typeof reason === 'string');
}
