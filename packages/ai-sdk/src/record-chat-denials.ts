import { isAgentSession } from '@agentgate/core';
import type { ModelMessage } from 'ai';
import { deniedInChat } from './internal/chat-messages';
import { bridgeInputOf, gatedTools, ownValue } from './internal/registry';
import { sessionForCall } from './session-context';

/** What {@link recordChatDenials} reads: the start event of `generateText`, `streamText` or a `ToolLoopAgent`. */
export interface ChatDenialsInput {
  /** The request's messages; the last one may answer approval requests. */
  readonly messages?: readonly ModelMessage[] | undefined;
  /** The tool set of the call. */
  readonly tools?: unknown;
  /** The call's `toolsContext` (`sessionToolsContext(tools, session)`); without an entry, `runWithSession`'s session. */
  readonly toolsContext?: unknown;
}

/**
 * Records the user's "no" in the chat. The AI SDK never calls a tool whose approval was denied, so without this the
 * AgentGate in-app approval of that call stays pending until it expires. Pass it as `onStart` (or call it from your
 * own `onStart`): for each `tool-approval-response` with `approved: false` in the last message that answers a call of a
 * tool with `auth.approval()`, it denies the pending in-app approval of that user, that session, that tool and the
 * digest of that call's validated arguments — through `approvals.decide`, audited as `denied`. A "no" for changed
 * arguments, another session or another user denies nothing; a record decided already is left as it is (sending the
 * same history again changes nothing). Never throws: a "no" it cannot record leaves the approval pending until it
 * expires, and that approval still never runs.
 *
 * @example
 * streamText({ model, tools, messages, toolsContext: sessionToolsContext(tools, session),
 *   toolApproval: agentGateToolApproval(), onStart: recordChatDenials });
 */
export async function recordChatDenials(input: ChatDenialsInput): Promise<void> {
  try {
    for (const call of deniedInChat(input?.messages)) {
      const tool = ownValue(input.tools, call.toolName);
      const binding = tool === undefined ? undefined : gatedTools.get(tool as object);
      if (!binding?.bridge) continue;
      const session = sessionForCall(ownValue(input.toolsContext, call.toolName));
      if (!isAgentSession(session) || session.mode !== 'interactive') continue;
      try {
        const request = await bridgeInputOf(binding.tool, session, call.input, call.toolCallId);
        // No approval was asked for arguments the schema refuses.
        if (request) await binding.bridge.deny(request);
      } catch {
        // Arguments that cannot be digested, a store that failed: the approval stays pending until it expires.
      }
    }
  } catch {
    // Malformed messages: nothing is denied.
  }
}
