import type { Approvals } from '@agentgate/approval';
import { assertKnownOptions, type Gate, type Guard } from '@agentgate/core';
import type { Tool } from 'ai';
import { type ChatApprovalOptions, createChatApproval } from './chat-approval';
import { type AuthorizedTool, gateTool, type WithAuthOptions } from './with-auth';

/** Options of {@link createAiSdkAuth}. */
export interface AiSdkAuthOptions {
  /** The gate every call of a gated tool passes through. */
  gate: Gate;
  /** The approvals behind `auth.approval()` (the chat's own approval and CIBA). */
  approvals?: Approvals;
}

/** The AI SDK side of AgentGate: gated tools and the chat approval guard. */
export interface AiSdkAuth {
  /**
   * The same AI SDK tool (description, input and output schema, provider options, metadata, hooks) whose `execute`
   * runs behind the gate. The session comes from the tool's context (`sessionContext(session)` in `toolsContext`) or
   * from `runWithSession`, never from the input. A denial or an interrupt is returned as the tool's output
   * (`{ agentgate: { kind, code, message, details } }`); other errors of the tool are thrown as before.
   *
   * @throws TypeError when the tool has no `execute`, a name is missing, a guard is malformed, or the gate's risk
   * policy is not met (a high-risk tool needs an approval guard by default)
   * @example
   * const refund = auth.withAuth(refundTool, { name: 'refund', risk: 'high' }, auth.approval({ details, bindingMessage }));
   */
  withAuth<T extends Tool>(tool: T, options: WithAuthOptions, ...guards: Guard<never>[]): AuthorizedTool<T>;
  /**
   * A guard of kind `approval` for `withAuth`: an interactive session asks in the chat (the AI SDK's tool approval,
   * through `agentGateToolApproval()`), recorded as an AgentGate in-app approval bound to the exact arguments and used
   * once; a background session asks on the user's device (CIBA) or in the app.
   *
   * @throws TypeError without `approvals`, or on invalid options (checked now)
   * @example auth.approval<{ orderId: string; amount: number }>({ details: ({ args }) => [{ type: 'refund', ...args }], bindingMessage: ({ args }) => `Refund ${args.amount}` })
   */
  approval<Args = unknown>(options: ChatApprovalOptions<Args>): Guard<Args>;
  /** The gate the tools run behind. */
  readonly gate: Gate;
}

const AUTH_OPTIONS = ['gate', 'approvals'] as const;

/**
 * Creates the AI SDK adapter around a gate.
 *
 * @throws TypeError when `gate` is missing or an option is unknown
 * @example
 * const auth = createAiSdkAuth({ gate, approvals });
 * const listEvents = auth.withAuth(listEventsTool, { name: 'listEvents' }, requireScopes('calendar:read'));
 */
export function createAiSdkAuth(options: AiSdkAuthOptions): AiSdkAuth {
  if (typeof options !== 'object' || options === null || typeof options.gate?.run !== 'function') {
    throw new TypeError('createAiSdkAuth: options.gate is required (createGate({ audit }))');
  }
  assertKnownOptions('createAiSdkAuth', options, AUTH_OPTIONS);
  const { gate, approvals } = options;
  if (approvals !== undefined && typeof approvals?.guard !== 'function') {
    throw new TypeError('createAiSdkAuth: options.approvals must come from createApprovals()');
  }

  return Object.freeze({
    gate,
    withAuth: <T extends Tool>(tool: T, toolOptions: WithAuthOptions, ...guards: Guard<never>[]) =>
      gateTool(gate, tool, toolOptions, guards),
    approval<Args>(approvalOptions: ChatApprovalOptions<Args>): Guard<Args> {
      if (!approvals)
        throw new TypeError('auth.approval: createAiSdkAuth needs { approvals } (createApprovals())');
      return createChatApproval(approvals, approvalOptions);
    },
  });
}
