import { FgaRequestFailed } from '../errors';
import type { FgaQuestionContext } from '../types';
import { chooseStrategy } from './choose-strategy';
import { type AskStats, askChecks, askList, type Core, type ListAnswer, throwIfAborted } from './core';
import type { TurnMemo } from './memo';
import { typeOf } from './validate';

export interface AuthorizeObjects {
  user: string;
  relation: string;
  /** One entry per candidate; `undefined` for a candidate without a valid object (never allowed). */
  objects: readonly (string | undefined)[];
  question: FgaQuestionContext;
  contextKey: string;
  signal: AbortSignal | undefined;
  stats: AskStats & { itemErrors: number };
}

/** The way `authorizeObjects` will go for these candidates: `adaptive` resolved by cost (see `chooseStrategy`). */
export function resolveStrategy(
  core: Core,
  memo: TurnMemo | undefined,
  request: Pick<AuthorizeObjects, 'user' | 'relation' | 'objects' | 'contextKey'>,
  strategy: 'post' | 'pre' | 'adaptive',
): 'post' | 'pre' {
  if (strategy !== 'adaptive') return strategy;
  const { user, relation, objects, contextKey } = request;
  const candidates = objects.reduce((count, object) => count + (object === undefined ? 0 : 1), 0);
  return chooseStrategy(core, memo, { user, relation, types: typesOf(objects), candidates, contextKey });
}

/**
 * Which candidates the user may see, by batch check (post) or list objects (pre). In pre, a type the server refuses
 * to list (an unknown type or relation: `rejected`) is batch checked instead, so that one bad object drops its own
 * document — as in post, where it is an item error — and not the whole filter.
 */
export async function authorizeObjects(
  core: Core,
  memo: TurnMemo | undefined,
  request: AuthorizeObjects,
  strategy: 'post' | 'pre',
): Promise<boolean[]> {
  const { user, relation, objects } = request;
  throwIfAborted('batchCheck', request.signal);
  const allowed = objects.map(() => false);
  let toCheck: number[] = [];
  if (strategy === 'pre') {
    const lists = new Map<string, ListAnswer | undefined>();
    await Promise.all(
      typesOf(objects).map(async (type) => {
        try {
          const list = await askList(
            core,
            memo,
            { user, relation, type, ...request.question },
            request.contextKey,
            { signal: request.signal, stats: request.stats },
          );
          lists.set(type, list);
        } catch (error) {
          if (!(FgaRequestFailed.isInstance(error) && error.reason === 'rejected')) throw error;
          lists.set(type, undefined);
        }
      }),
    );
    for (const [index, object] of objects.entries()) {
      if (object === undefined) continue;
      const list = lists.get(typeOf(object));
      if (list?.objects.has(object)) allowed[index] = true;
      // Not listable, or the server may have cut the list short: ask about the rest.
      else if (list === undefined || !list.complete) toCheck.push(index);
    }
  } else {
    toCheck = objects.flatMap((object, index) => (object === undefined ? [] : [index]));
  }
  if (toCheck.length > 0) {
    const questions = toCheck.map((index) => ({
      user,
      relation,
      object: objects[index]!,
      ...request.question,
    }));
    const answers = await askChecks(
      core,
      memo,
      questions,
      questions.map(() => request.contextKey),
      { signal: request.signal, stats: request.stats, operation: 'batchCheck' },
    );
    for (const [position, index] of toCheck.entries()) {
      const answer = answers[position]!;
      allowed[index] = answer.allowed;
      if (answer.error !== undefined) request.stats.itemErrors++;
    }
  }
  return allowed;
}

function typesOf(objects: readonly (string | undefined)[]): string[] {
  return [...new Set(objects.flatMap((object) => (object === undefined ? [] : [typeOf(object)])))];
}
