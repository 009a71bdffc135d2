/**
 * Which language model the chat uses: the offline scripted model by default; OpenAI or Anthropic when its API key is
 * set in the environment (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`; the model id from `OPENAI_MODEL` / `ANTHROPIC_MODEL`).
 */
import { anthropic } from '@ai-sdk/anthropic';
import { openai } from '@ai-sdk/openai';
import type { LanguageModel } from 'ai';
import { createScriptedModel } from './scripted-model';

export interface ChosenModel {
  model: LanguageModel;
  /** Printed at start: which model answers. */
  label: string;
}

export function chooseModel(environment: NodeJS.ProcessEnv = process.env): ChosenModel {
  if (environment.OPENAI_API_KEY) {
    const id = environment.OPENAI_MODEL ?? 'gpt-4.1-mini';
    return { model: openai(id), label: `OpenAI ${id}` };
  }
  if (environment.ANTHROPIC_API_KEY) {
    const id = environment.ANTHROPIC_MODEL ?? 'claude-haiku-4-5';
    return { model: anthropic(id), label: `Anthropic ${id}` };
  }
  return {
    model: createScriptedModel(),
    label: 'the scripted model (offline; set OPENAI_API_KEY or ANTHROPIC_API_KEY for a real one)',
  };
}
