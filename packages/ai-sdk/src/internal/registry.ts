import { type AgentSession, digestArgs, type Gate, type GatedTool, type Guard } from '@agentgate/core';

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

/**
 * The bridge input of one tool call: the arguments as the tool's schema validates them, and their digest (what the
 * gate binds approvals to); `undefined` when the schema refuses them (the gate refuses them on record).
 * @throws TypeError when the validated arguments cannot be digested
 */
export async function bridgeInputOf(
  tool: GatedTool,
  session: AgentSession,
  input: unknown,
  callId: string,
): Promise<BridgeInput | undefined> {
  const validated = await tool.schema?.['~standard'].validate(input);
  if (!validated || validated.issues) return undefined;
  return { session, tool, args: validated.value, argsDigest: digestArgs(validated.value), callId };
}

/** An own property only: tool names come from the model and from client-supplied history. */
export function ownValue(record: unknown, key: string): unknown {
  if (typeof record !== 'object' || record === null || !Object.hasOwn(record, key)) return undefined;
  return (record as Record<string, unknown>)[key];
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
