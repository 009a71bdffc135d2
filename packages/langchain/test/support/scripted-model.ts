import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';

/** One turn of the script: the model's answer, or a function of the messages so far that gives it. */
export type Step = AIMessage | ((messages: BaseMessage[]) => AIMessage);

/** What the model was shown on each turn. */
export interface Turn {
  tools: string[];
  messages: BaseMessage[];
}

/**
 * A chat model that answers from a script, supports `bindTools` (recording which tools it was given), and says
 * "done" when the script has run out: LangChain's real agent loop drives it like any provider's model.
 */
export class ScriptedChatModel extends BaseChatModel {
  readonly turns: Turn[];
  readonly #script: Step[];
  #tools: string[] = [];

  constructor(script: Step[], turns: Turn[] = []) {
    super({});
    this.#script = script;
    this.turns = turns;
  }

  _llmType(): string {
    return 'scripted';
  }

  override bindTools(tools: unknown[]): ScriptedChatModel {
    const bound = new ScriptedChatModel(this.#script, this.turns);
    bound.#tools = tools.map((tool) => String((tool as { name?: unknown }).name));
    return bound;
  }

  async _generate(
    messages: BaseMessage[],
    _options?: unknown,
    _run?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    this.turns.push({ tools: this.#tools, messages: [...messages] });
    const step = this.#script.shift();
    const message = typeof step === 'function' ? step(messages) : (step ?? new AIMessage('done'));
    return { generations: [{ message, text: typeof message.content === 'string' ? message.content : '' }] };
  }
}

/** An AI message asking for one tool call. */
export function callTool(name: string, args: Record<string, unknown>, id = `call-${name}`): AIMessage {
  return new AIMessage({ content: '', tool_calls: [{ id, name, args, type: 'tool_call' }] });
}

/** What an AgentGate interrupt carries in LangGraph (as read back from the graph's state). */
export interface InterruptValue {
  agentgate: {
    kind: string;
    code: string;
    message: string;
    details: { approvalId?: string; [key: string]: unknown };
  };
  [key: string]: unknown;
}
