import type { ModelMessage } from 'ai';

/** True when the last message answers the approval request of this tool call with an approval. */
export function approvedInChat(messages: readonly ModelMessage[] | undefined, toolCallId: string): boolean {
  if (!Array.isArray(messages)) return false;
  const last = messages.at(-1);
  if (last?.role !== 'tool' || !Array.isArray(last.content)) return false;
  const requested = new Set<string>();
  for (const message of messages) {
    if (message.role !== 'assistant' || typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type === 'tool-approval-request' && part.toolCallId === toolCallId)
        requested.add(part.approvalId);
    }
  }
  const answers = last.content as ReadonlyArray<{ type: string; approved?: unknown; approvalId?: unknown }>;
  return answers.some(
    (part) =>
      part.type === 'tool-approval-response' &&
      part.approved === true &&
      typeof part.approvalId === 'string' &&
      requested.has(part.approvalId),
  );
}

/** A tool call the last message refuses in the chat: the SDK's `tool-approval-response` with `approved: false`. */
export interface DeniedToolCall {
  readonly toolCallId: string;
  readonly toolName: string;
  readonly input: unknown;
}

/**
 * The tool calls whose approval the last message denies. Each answer is matched to the approval request it answers and
 * that request to its tool call, as the SDK does; an answer that matches nothing is ignored.
 */
export function deniedInChat(messages: readonly ModelMessage[] | undefined): DeniedToolCall[] {
  if (!Array.isArray(messages)) return [];
  const last = messages.at(-1);
  if (last?.role !== 'tool' || !Array.isArray(last.content)) return [];
  const callIdOf = new Map<string, string>();
  const calls = new Map<string, DeniedToolCall>();
  for (const message of messages) {
    if (message.role !== 'assistant' || typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type === 'tool-approval-request') callIdOf.set(part.approvalId, part.toolCallId);
      if (part.type === 'tool-call') {
        calls.set(part.toolCallId, {
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          input: part.input,
        });
      }
    }
  }
  const denied = new Map<string, DeniedToolCall>();
  const answers = last.content as ReadonlyArray<{ type: string; approved?: unknown; approvalId?: unknown }>;
  for (const part of answers) {
    if (
      part.type !== 'tool-approval-response' ||
      part.approved !== false ||
      typeof part.approvalId !== 'string'
    )
      continue;
    const call = calls.get(callIdOf.get(part.approvalId) ?? '');
    if (call) denied.set(call.toolCallId, call);
  }
  return [...denied.values()];
}
