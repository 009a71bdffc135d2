/**
 * How the scripted model words its answer about a tool result — the part a hosted model would write freely. It reads
 * only what the tool (or the gate, for a denied or interrupted call) returned.
 */
import { type AgentGateToolResult, isAgentGateResult } from '@agentgate/ai-sdk';
import type { LanguageModelV4ToolResultOutput } from '@ai-sdk/provider';

function gateAnswer(result: AgentGateToolResult['agentgate']): string {
  switch (result.code) {
    case 'CONNECTION_REQUIRED':
      return 'I need access to your Acme Calendar first. Connect it with the button above, then ask me to try again.';
    case 'APPROVAL_PENDING':
      return result.details.channel === 'ciba'
        ? 'This refund needs your approval on your phone. Approve it there, then ask me to check again.'
        : 'This refund is waiting for your approval.';
    case 'APPROVAL_DENIED':
      return 'You declined the refund, so nothing was refunded.';
    case 'APPROVAL_EXPIRED':
      return 'Nobody approved the refund in time, so nothing was refunded.';
    case 'STEP_UP_REQUIRED':
      return 'This needs a fresh sign-in with your second factor first.';
    default:
      return `I am not allowed to do that (${result.code}): ${result.message}`;
  }
}

interface CalendarEvent {
  title?: unknown;
  start?: unknown;
}

function successAnswer(toolName: string, value: unknown): string {
  const data = (value ?? {}) as Record<string, unknown>;
  if (toolName === 'list_events') {
    const items = Array.isArray(data.items) ? (data.items as CalendarEvent[]) : [];
    if (items.length === 0) return 'Your Acme Calendar is connected and has no events yet.';
    const lines = items.map((event) => `${String(event.title)} (${String(event.start)})`);
    return `Your Acme Calendar has ${items.length} event${items.length === 1 ? '' : 's'}: ${lines.join('; ')}.`;
  }
  if (toolName === 'search_docs') {
    const documents = Array.isArray(data.documents) ? (data.documents as { title?: unknown }[]) : [];
    if (documents.length === 0) return 'I found no documents you may read for that.';
    return `I found ${documents.map((document) => String(document.title)).join(' · ')}.`;
  }
  if (toolName === 'refund_order') {
    return `Refunded ${String(data.amount)} ${String(data.currency)} on order ${String(data.orderId)}.`;
  }
  return 'Done.';
}

/** The answer about one tool result. */
export function answerFor(toolName: string, output: LanguageModelV4ToolResultOutput): string {
  switch (output.type) {
    case 'json': {
      const value: unknown = output.value;
      return isAgentGateResult(value) ? gateAnswer(value.agentgate) : successAnswer(toolName, value);
    }
    case 'text':
      return output.value;
    case 'execution-denied':
      return 'You did not approve it, so nothing was done.';
    case 'error-text':
    case 'error-json':
      return `The ${toolName} tool failed, so I cannot answer that now.`;
    default:
      return 'Done.';
  }
}
