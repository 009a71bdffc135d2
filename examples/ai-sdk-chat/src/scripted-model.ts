/**
 * The chat's default model: an offline, deterministic AI SDK language model (`LanguageModelV4`) that reads the
 * conversation and either streams a real tool call or streams an answer about the last tool results. The AI SDK runs
 * its tool loop around it exactly as around a hosted model, so every call goes model → tool → gate → model.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from '@ai-sdk/provider';
import { answerFor } from './scripted-answers';

/** What the script does next: call a tool, or say something. */
export type ScriptedTurn =
  | { type: 'tool-call'; toolName: string; input: Record<string, unknown> }
  | { type: 'text'; text: string };

type Message = LanguageModelV4Prompt[number];

const usage: LanguageModelV4Usage = {
  inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: undefined, text: undefined, reasoning: undefined },
};

/** The text of a user message. */
function userText(message: Message | undefined): string {
  if (message?.role !== 'user') return '';
  return message.content
    .map((part) => (part.type === 'text' ? part.text : ''))
    .join(' ')
    .trim();
}

/** The most recent tool call in the conversation, to repeat it after the user connected or approved. */
function lastToolCall(prompt: LanguageModelV4Prompt): ScriptedTurn | undefined {
  for (let index = prompt.length - 1; index >= 0; index -= 1) {
    const message = prompt[index]!;
    if (message.role !== 'assistant') continue;
    for (const part of [...message.content].reverse()) {
      if (part.type === 'tool-call') {
        const input = typeof part.input === 'string' ? JSON.parse(part.input) : part.input;
        return { type: 'tool-call', toolName: part.toolName, input: input as Record<string, unknown> };
      }
    }
  }
  return undefined;
}

/** A refund request in words: "refund 240 EUR on order 1042". */
function refundInput(text: string): Record<string, unknown> | undefined {
  const orderId = /order\s*#?\s*([\w-]+)/i.exec(text)?.[1];
  const money = /(\d+(?:\.\d+)?)\s*(eur|usd|gbp|€|\$)?/i.exec(text.replace(/order\s*#?\s*[\w-]+/i, ''));
  if (orderId === undefined || money?.[1] === undefined) return undefined;
  const symbols: Record<string, string> = { '€': 'EUR', $: 'USD' };
  const unit = money[2] ?? 'EUR';
  return { orderId, amount: Number(money[1]), currency: symbols[unit] ?? unit.toUpperCase() };
}

/** Decides the next turn from the conversation so far. Exported for tests of the script itself. */
export function decideTurn(prompt: LanguageModelV4Prompt, available: ReadonlySet<string>): ScriptedTurn {
  const last = prompt.at(-1);
  if (last?.role === 'tool') {
    const results = last.content.filter((part) => part.type === 'tool-result');
    const text = results.map((result) => answerFor(result.toolName, result.output)).join('\n\n');
    return { type: 'text', text: text || 'Done.' };
  }
  const text = userText(last);
  const call = (toolName: string, input: Record<string, unknown>): ScriptedTurn =>
    available.has(toolName)
      ? { type: 'tool-call', toolName, input }
      : { type: 'text', text: `I cannot use ${toolName} for you in this chat.` };

  if (/\b(again|retry|connected|check)\b/i.test(text)) {
    const previous = lastToolCall(prompt);
    if (previous?.type === 'tool-call') return call(previous.toolName, previous.input);
  }
  if (/\brefund/i.test(text)) {
    const input = refundInput(text);
    if (input === undefined) {
      return { type: 'text', text: 'Which order, and how much? For example: “Refund 40 EUR on order 1042”.' };
    }
    return call('refund_order', input);
  }
  if (/\b(calendar|events?|schedule|meetings?|agenda)\b/i.test(text)) return call('list_events', {});
  if (/\b(docs?|documents?|search|find|policy|policies|handbook)\b/i.test(text)) {
    const query = /\bfor\s+(.+)$/i.exec(text)?.[1] ?? text;
    return call('search_docs', { query: query.replace(/[?.!]+$/, '') });
  }
  return {
    type: 'text',
    text: 'I can show your calendar, search the team’s documents, or refund an order (“Refund 40 EUR on order 1042”).',
  };
}

function finish(unified: 'stop' | 'tool-calls'): LanguageModelV4FinishReason {
  return { unified, raw: unified };
}

let callCounter = 0;

/** Creates the scripted model. */
export function createScriptedModel(): LanguageModelV4 {
  const turnFor = (options: LanguageModelV4CallOptions) =>
    decideTurn(options.prompt, new Set((options.tools ?? []).map((tool) => tool.name)));
  return {
    specificationVersion: 'v4',
    provider: 'agentgate-scripted',
    modelId: 'chat-script',
    supportedUrls: {},

    async doGenerate(options) {
      const turn = turnFor(options);
      const content: LanguageModelV4Content[] =
        turn.type === 'text'
          ? [{ type: 'text', text: turn.text }]
          : [
              {
                type: 'tool-call',
                toolCallId: `call-${++callCounter}`,
                toolName: turn.toolName,
                input: JSON.stringify(turn.input),
              },
            ];
      return {
        content,
        finishReason: finish(turn.type === 'text' ? 'stop' : 'tool-calls'),
        usage,
        warnings: [],
      };
    },

    async doStream(options) {
      const turn = turnFor(options);
      const parts: LanguageModelV4StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      if (turn.type === 'text') {
        parts.push({ type: 'text-start', id: 'text-1' });
        for (const word of turn.text.match(/\S+\s*/g) ?? []) {
          parts.push({ type: 'text-delta', id: 'text-1', delta: word });
        }
        parts.push({ type: 'text-end', id: 'text-1' });
      } else {
        const toolCallId = `call-${++callCounter}`;
        const input = JSON.stringify(turn.input);
        parts.push(
          { type: 'tool-input-start', id: toolCallId, toolName: turn.toolName },
          { type: 'tool-input-delta', id: toolCallId, delta: input },
          { type: 'tool-input-end', id: toolCallId },
          { type: 'tool-call', toolCallId, toolName: turn.toolName, input },
        );
      }
      parts.push({
        type: 'finish',
        usage,
        finishReason: finish(turn.type === 'text' ? 'stop' : 'tool-calls'),
      });
      return {
        stream: new ReadableStream<LanguageModelV4StreamPart>({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
  };
}
