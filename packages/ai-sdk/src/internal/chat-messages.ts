import type { ModelMessage } from 'ai';

/** A tool call the last message answers in the chat: the SDK's `tool-approval-response`, matched as the SDK does. */
export interface AnsweredToolCall {
  readonly toolCallId: string;
  readonly approved: boolean;
  /** The call itself, when the history still holds it. */
  readonly call?: { readonly toolName: string; readonly input: unknown };
}

/**
 * The answers the last message gives to approval requests, in order. Each is matched to the approval request it
 * answers and that request to its tool call; an answer that matches no request is ignored.
 */
export function answersInChat(messages: readonly ModelMessage[] | undefined): AnsweredToolCall[] {
  if (!Array.isArray(messages)) return [];
  const last = messages.at(-1);
  if (last?.role !== 'tool' || !Array.isArray(last.content)) return [];
  const callIdOf = new Map<string, string>();
  const calls = new Map<string, { toolName: string; input: unknown }>();
  for (const message of messages) {
    if (message.role !== 'assistant' || typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type === 'tool-approval-request') callIdOf.set(part.approvalId, part.toolCallId);
      if (part.type === 'tool-call')
        calls.set(part.toolCallId, { toolName: part.toolName, input: part.input });
    }
  }
  const answered: AnsweredToolCall[] = [];
  const answers = last.content as ReadonlyArray<{ type: string; approved?: unknown; approvalId?: unknown }>;
  for (const part of answers) {
    if (part.type !== 'tool-approval-response' || typeof part.approvalId !== 'string') continue;
    if (typeof part.approved !== 'boolean') continue;
    const toolCallId = callIdOf.get(part.approvalId);
    if (toolCallId === undefined) continue;
    const call = calls.get(toolCallId);
    answered.push({ toolCallId, approved: part.approved, ...(call === undefined ? {} : { call }) });
  }
  return answered;
}

/** True when the last message answers the approval request of this tool call with an approval. */
export function approvedInChat(messages: readonly ModelMessage[] | undefined, toolCallId: string): boolean {
  return answersInChat(messages).some((answer) => answer.toolCallId === toolCallId && answer.approved);
}

/** The tool calls whose approval the last message denies (those the history still holds), each once. */
export function deniedInChat(
  messages: readonly ModelMessage[] | undefined,
): { readonly toolCallId: string; readonly toolName: string; readonly input: unknown }[] {
  const denied = new Map<string, { toolCallId: string; toolName: string; input: unknown }>();
  for (const answer of answersInChat(messages)) {
    if (!answer.approved && answer.call !== undefined) {
      denied.set(answer.toolCallId, { toolCallId: answer.toolCallId, ...answer.call });
    }
  }
  return [...denied.values()];
}
