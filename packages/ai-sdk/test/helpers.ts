import type { LanguageModelV4GenerateResult, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { simulateReadableStream } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';

/** One model turn of a script: tool calls the model issues, or its final text. */
export type ScriptedTurn =
  | { toolCalls: ReadonlyArray<{ toolName: string; input: unknown; toolCallId?: string }> }
  | { text: string };

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

function contentOf(turn: ScriptedTurn): LanguageModelV4GenerateResult['content'] {
  if ('text' in turn) return [{ type: 'text', text: turn.text }];
  return turn.toolCalls.map((call, index) => ({
    type: 'tool-call' as const,
    toolCallId: call.toolCallId ?? `call-${index + 1}`,
    toolName: call.toolName,
    input: JSON.stringify(call.input),
  }));
}

function finishOf(turn: ScriptedTurn) {
  return { unified: 'text' in turn ? ('stop' as const) : ('tool-calls' as const), raw: undefined };
}

/**
 * A language model that plays `turns` in order, through `generateText` (doGenerate) and `streamText` (doStream), and
 * keeps every call it received (`doGenerateCalls` / `doStreamCalls`: the tools it was offered, the prompt).
 */
export function scriptedModel(turns: readonly ScriptedTurn[]): MockLanguageModelV4 {
  let next = 0;
  const take = (): ScriptedTurn => {
    const turn = turns[Math.min(next, turns.length - 1)];
    next += 1;
    if (!turn) throw new Error('the script has no turns');
    return turn;
  };
  return new MockLanguageModelV4({
    doGenerate: async () => {
      const turn = take();
      return { content: contentOf(turn), finishReason: finishOf(turn), usage, warnings: [] };
    },
    doStream: async () => {
      const turn = take();
      const chunks: LanguageModelV4StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      if ('text' in turn) {
        chunks.push(
          { type: 'text-start', id: 't1' },
          { type: 'text-delta', id: 't1', delta: turn.text },
          { type: 'text-end', id: 't1' },
        );
      } else {
        for (const part of contentOf(turn)) chunks.push(part as LanguageModelV4StreamPart);
      }
      chunks.push({ type: 'finish', finishReason: finishOf(turn), usage });
      return { stream: simulateReadableStream({ chunks, chunkDelayInMs: null }) };
    },
  });
}

/** The names of the tools the model was offered in each call. */
export function offeredTools(model: MockLanguageModelV4): string[][] {
  return [...model.doGenerateCalls, ...model.doStreamCalls].map((call) =>
    (call.tools ?? []).map((tool) => tool.name),
  );
}
