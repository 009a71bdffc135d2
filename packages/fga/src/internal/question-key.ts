import { canonicalJson } from '@agentgate/core';
import type { FgaQuestionContext } from '../types';

/**
 * The part of a question's key that its contextual tuples and context make: canonical JSON (sorted keys), so two
 * questions share an answer only when these are equal. `{}` and no context are the same question.
 *
 * @throws TypeError when they hold values JSON cannot carry faithfully (a Date, a Map, a function, NaN)
 */
export function contextKey(where: string, question: FgaQuestionContext): string {
  const tuples = question.contextualTuples ?? [];
  const context = question.context ?? {};
  if (tuples.length === 0 && Object.keys(context).length === 0) return '';
  try {
    return canonicalJson({ tuples, context });
  } catch (error) {
    throw new TypeError(
      `${where}: contextualTuples and context must be plain JSON (${(error as Error).message})`,
    );
  }
}

export function checkKey(user: string, relation: string, object: string, context: string): string {
  return `c${JSON.stringify([user, relation, object])}${context}`;
}

export function listKey(user: string, relation: string, type: string, context: string): string {
  return `l${JSON.stringify([user, relation, type])}${context}`;
}
