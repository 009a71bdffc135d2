import type { AgentSession, Gate, GatedTool, Guard } from '@agentgate/core';

/** What `agentGateToolApproval` needs of a chat approval guard: ask, and record the chat's "yes" or "no". */
export interface ChatApprovalBridge {
  /** Creates (or finds) the in-app approval of this call; what the AI SDK should do with it. */
  request(
    input: BridgeInput,
  ): Promise<'user-approval' | 'not-applicable' | { type: 'user-approval'; reason: string }>;
  /** Records the user's approval in the chat as the decision of the in-app approval of exactly these arguments. */
  approve(input: BridgeInput): Promise<void>;
  /** Records the user's "no" in the chat as the denial of the in-app approval of exactly these arguments. */
  deny(input: BridgeInput): Promise<void>;
}

export interface BridgeInput {
  readonly session: AgentSession;
  readonly tool: GatedTool;
  readonly args: unknown;
  readonly argsDigest: string;
  readonly callId: string;
}

/** How a tool built by `withAuth` is gated. */
export interface GatedToolBinding {
  readonly gate: Gate;
  readonly tool: GatedTool;
  readonly guards: readonly Guard[];
  readonly bridge: ChatApprovalBridge | undefined;
  /** The guards before the chat approval guard that run before the chat asks (see `precheck.ts`). */
  readonly precheck: readonly Guard[];
}

/** Tools built by `withAuth`, and the chat approval guards built by `auth.approval`. */
export const gatedTools = new WeakMap<object, GatedToolBinding>();
export const chatApprovals = new WeakMap<object, ChatApprovalBridge>();
