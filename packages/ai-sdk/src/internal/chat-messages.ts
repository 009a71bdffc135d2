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
