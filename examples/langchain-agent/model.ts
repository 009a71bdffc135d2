/**
 * The agent's model: a real provider when its key is set (`OPENAI_API_KEY`, else `ANTHROPIC_API_KEY`; the model name
 * from `OPENAI_MODEL` / `ANTHROPIC_MODEL`), else the offline scripted model. The provider packages load only when used.
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ScriptedChatModel } from './scripted-model';

export interface ChosenModel {
  model: BaseChatModel;
  /** What the transcript says it is. */
  label: string;
}

export async function chooseModel(env: NodeJS.ProcessEnv = process.env): Promise<ChosenModel> {
  if (env['OPENAI_API_KEY']) {
    const { ChatOpenAI } = await import('@langchain/openai');
    const name = env['OPENAI_MODEL'] ?? 'gpt-4.1-mini';
    return { model: new ChatOpenAI({ model: name, temperature: 0 }), label: `OpenAI ${name}` };
  }
  if (env['ANTHROPIC_API_KEY']) {
    const { ChatAnthropic } = await import('@langchain/anthropic');
    const name = env['ANTHROPIC_MODEL'] ?? 'claude-sonnet-4-5';
    return { model: new ChatAnthropic({ model: name, temperature: 0 }), label: `Anthropic ${name}` };
  }
  return { model: new ScriptedChatModel(), label: 'scripted (offline, deterministic)' };
}
