import { type Core, hasList } from './core';
import type { TurnMemo } from './memo';
import { listKey } from './question-key';

/**
 * The adaptive filter's choice between checking the candidates (post) and listing what the user can see (pre), by
 * expected cost:
 *
 * 1. every list is already in the turn's memo or the cache → pre (no request at all);
 * 2. at most one batch of candidates → post (one request, the least work);
 * 3. the user's accessible count is known from an earlier list (and was complete) → pre when
 *    `accessible × listedObjectCost ≤ candidates` (a listed object costs the server less than a checked candidate,
 *    which also pays its share of a request), else post; a list the server cut short (`listObjectsMaxResults`) → post;
 * 4. nothing known → pre when there are at least `probeThreshold` candidates (by default more than one batch): the
 *    list is the probe, its answer is used at once and its size remembered for ten minutes; else post.
 */
export function chooseStrategy(
  core: Core,
  memo: TurnMemo | undefined,
  question: {
    user: string;
    relation: string;
    types: readonly string[];
    candidates: number;
    contextKey: string;
  },
): 'post' | 'pre' {
  const { user, relation, types, candidates, contextKey } = question;
  if (candidates === 0 || types.length === 0) return 'post';
  const keys = types.map((type) => listKey(user, relation, type, contextKey));
  if (keys.every((key) => hasList(core, memo, key))) return 'pre';
  if (candidates <= core.batchSize) return 'post';
  const learned = keys.map((key) => core.learned.get(key));
  if (learned.every((entry) => entry !== undefined)) {
    if (learned.some((entry) => !entry.complete)) return 'post';
    const accessible = learned.reduce((sum, entry) => sum + entry.count, 0);
    return accessible * core.listedObjectCost <= candidates ? 'pre' : 'post';
  }
  return candidates >= core.probeThreshold ? 'pre' : 'post';
}
