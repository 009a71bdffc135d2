/**
 * A scripted chat model: offline and deterministic, but a real LangChain `BaseChatModel`. `bindTools()` gives it the
 * agent's tools, and each call decides the next message from the conversation so far — a user's request becomes a tool
 * call (`AIMessage.tool_calls`), tool results become a reply summarising them — so the agent loop around it is the real
 * one: model → tool calls → gate → results → model.
 */
import {
  BaseChatModel,
  type BaseChatModelParams,
  type BindToolsInput,
} from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';

/** The demo's model when no provider key is set. */
export class ScriptedChatModel extends BaseChatModel {
  readonly toolNames: readonly string[];

  constructor(fields: BaseChatModelParams & { toolNames?: readonly string[] } = {}) {
    const { toolNames = [], ...rest } = fields;
    super(rest);
    this.toolNames = toolNames;
  }

  _llmType(): string {
    return 'agentgate-scripted';
  }

  override bindTools(tools: BindToolsInput[]): ScriptedChatModel {
    const names = tools.map((tool) => convertToOpenAITool(tool).function.name);
    return new ScriptedChatModel({ toolNames: [...this.toolNames, ...names] });
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const message = nextMessage(messages, new Set(this.toolNames));
    return { generations: [{ text: typeof message.content === 'string' ? message.content : '', message }] };
  }
}

/** What the model says next, given the conversation so far and the tools it may call. */
export function nextMessage(messages: readonly BaseMessage[], tools: ReadonlySet<string>): AIMessage {
  const last = messages.at(-1);
  if (last && ToolMessage.isInstance(last)) {
    const results = trailingToolMessages(messages);
    return new AIMessage(results.map(summarise).join(' '));
  }
  if (!last || !HumanMessage.isInstance(last)) return new AIMessage('How can I help?');

  const request = last.text;
  const call = plan(request, messages);
  if (!call) return new AIMessage('I can list your calendar events, search the documents and refund orders.');
  if (!tools.has(call.name)) return new AIMessage(`I have no ${call.name} tool in this conversation.`);
  return new AIMessage({
    content: '',
    tool_calls: [
      { id: `call_${messages.length}_${call.name}`, name: call.name, args: call.args, type: 'tool_call' },
    ],
  });
}

interface PlannedCall {
  name: string;
  args: Record<string, unknown>;
}

function plan(request: string, history: readonly BaseMessage[]): PlannedCall | undefined {
  if (/\brefund\b/i.test(request)) {
    if (/\bagain\b/i.test(request)) {
      const previous = lastToolCall(history, 'refund_order');
      return previous && { name: 'refund_order', args: previous };
    }
    const order = /\border\s*#?\s*(\w+)/i.exec(request)?.[1];
    const money = /(\d+(?:\.\d+)?)\s*(EUR|USD|GBP)\b/i.exec(request);
    if (!order || !money) return undefined;
    return {
      name: 'refund_order',
      args: { orderId: order, amount: Number(money[1]), currency: money[2]!.toUpperCase() },
    };
  }
  if (/\b(calendar|events?|schedule)\b/i.test(request)) return { name: 'list_events', args: {} };
  if (/\b(search|find|look up)\b/i.test(request)) {
    const query = /\b(?:for|about|on)\s+(.+?)[.?!]*$/i.exec(request)?.[1] ?? request;
    return { name: 'search_docs', args: { query } };
  }
  return undefined;
}

function lastToolCall(history: readonly BaseMessage[], name: string): Record<string, unknown> | undefined {
  for (const message of [...history].reverse()) {
    if (!AIMessage.isInstance(message)) continue;
    const call = message.tool_calls?.find((candidate) => candidate.name === name);
    if (call) return call.args;
  }
  return undefined;
}

function trailingToolMessages(messages: readonly BaseMessage[]): ToolMessage[] {
  const results: ToolMessage[] = [];
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index]!;
    if (!ToolMessage.isInstance(message)) break;
    results.unshift(message);
  }
  return results;
}

/** One sentence about one tool result, read from its content as a model would. */
function summarise(result: ToolMessage): string {
  const content = parseJson(result.text);
  const gate = isRecord(content) && isRecord(content['agentgate']) ? content['agentgate'] : undefined;
  if (gate) {
    const verb = gate['kind'] === 'denied' ? 'refused' : 'stopped';
    return `The gate ${verb} ${result.name ?? 'the tool'} (${String(gate['code'])}): ${String(gate['message'])}.`;
  }
  if (!isRecord(content)) return `${result.name ?? 'The tool'} answered: ${result.text}`;
  switch (result.name) {
    case 'list_events': {
      const items = Array.isArray(content['items']) ? content['items'] : [];
      if (items.length === 0) return 'Your Acme Calendar is connected and has no events yet.';
      const titles = items.map((item) => (isRecord(item) ? String(item['title']) : '?'));
      return `You have ${items.length} events: ${titles.join(', ')}.`;
    }
    case 'search_docs': {
      const documents = Array.isArray(content['documents']) ? content['documents'] : [];
      if (documents.length === 0) return 'I found no documents you can read on that.';
      const titles = documents.map((document) =>
        isRecord(document) ? `“${String(document['title'])}”` : '?',
      );
      return `I found ${documents.length} documents you can read: ${titles.join(', ')}.`;
    }
    case 'refund_order':
      return `Done: order ${String(content['orderId'])} was refunded ${String(content['amount'])} ${String(content['currency'])} under approval ${String(content['approvalId'])}.`;
    default:
      return `${result.name ?? 'The tool'} answered: ${result.text}`;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
