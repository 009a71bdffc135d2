import {
  type AgentGateError,
  type AgentSession,
  AuditFailed,
  assertKnownOptions,
  boundServerText,
  describeThrown,
  isGateDecision,
} from '@agentgate/core';
import { FgaRequestFailed } from './errors';
import { authorizeObjects, resolveStrategy } from './internal/authorize-objects';
import { type AskStats, type Core, newStats, recordFilterEvent } from './internal/core';
import { auditReason } from './internal/failures';
import type { TurnMemo } from './internal/memo';
import { contextKey } from './internal/question-key';
import {
  assertFunction,
  assertName,
  assertQuestionContext,
  assertSession,
  assertSignal,
  isObjectId,
  questionContext,
} from './internal/validate';
import type { FgaQuestionContext } from './types';

/** How candidates are authorized: batch check them (`post`), list what the user can see (`pre`), or pick by cost. */
export type FilterStrategy = 'post' | 'pre' | 'adaptive';

export interface FilterDocumentsOptions<Doc> extends FgaQuestionContext {
  /** Whose documents: the FGA user comes from this session (see the authorizer's `user` option), never from a doc. */
  session: AgentSession;
  /** The relation the user needs on each document, e.g. `'viewer'`. */
  relation: string;
  /** The FGA object of a document, `type:id` (e.g. `doc => \`doc:${doc.id}\``). A document without one is dropped. */
  object: (document: Doc) => string;
  /** @default 'adaptive' */
  strategy?: FilterStrategy;
  /** Names the operation in the audit event's `tool` field. @default 'filterDocuments' */
  name?: string;
  signal?: AbortSignal;
}

/** Counts of one filter run: what the audit event records. */
export interface FilterStats extends AskStats {
  candidates: number;
  allowed: number;
  removed: number;
  /** Candidates whose `object()` threw or returned something that is not `type:id`: removed. */
  invalid: number;
  /** Checks the server could not evaluate (e.g. a condition missing a parameter): removed. */
  itemErrors: number;
}

/** The survivors in input order, or — when the FGA server could not answer — no documents and the typed error. */
export type FilterDocumentsResult<Doc> =
  | { success: true; documents: Doc[]; strategy: 'post' | 'pre'; stats: FilterStats; error?: never }
  | {
      success: false;
      documents: [];
      strategy: 'post' | 'pre';
      stats: FilterStats;
      error: FgaRequestFailed | AuditFailed;
    };

const OPTIONS = [
  'session',
  'relation',
  'object',
  'contextualTuples',
  'context',
  'strategy',
  'name',
  'signal',
];

export function validateFilterOptions(where: string, options: unknown, extra: readonly string[] = []): void {
  assertKnownOptions(where, options, [...OPTIONS, ...extra]);
  const { session, relation, object, strategy, name, signal } = options as FilterDocumentsOptions<unknown>;
  assertSession(where, session);
  assertName(where, 'relation', relation);
  assertFunction(where, 'object', object);
  if (strategy !== undefined && strategy !== 'post' && strategy !== 'pre' && strategy !== 'adaptive') {
    throw new TypeError(`${where}: strategy must be 'post', 'pre' or 'adaptive'`);
  }
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new TypeError(`${where}: name must be a non-empty string`);
  }
  assertSignal(where, signal);
  assertQuestionContext(where, options as FgaQuestionContext);
}

/** `object(document)` if it is a valid `type:id`, else `undefined` (the document is dropped, never allowed). */
export function objectOf<Doc>(object: (document: Doc) => string, document: Doc): string | undefined {
  try {
    const value = object(document);
    return isObjectId(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The error a failed run reports: the authorizer's own, or any other thrown value as `FgaRequestFailed`. */
export function asFailure(error: unknown): FgaRequestFailed | AuditFailed {
  if (FgaRequestFailed.isInstance(error) || error instanceof AuditFailed) return error;
  const text = isGateDecision(error) ? (error as AgentGateError).message : describeThrown(error);
  return new FgaRequestFailed('batchCheck', 'failed', boundServerText(text), { cause: error });
}

/** The audit reason of a failure: counts, then what failed — its class, reason and status, never its text. */
export function failureReason(run: string, failure: FgaRequestFailed | AuditFailed): string {
  return `${run}; ${FgaRequestFailed.isInstance(failure) ? auditReason(failure) : failure.code}`;
}

/** Implementation of `FgaAuthorizer.filterDocuments`. */
export async function filterDocuments<Doc>(
  core: Core,
  memo: TurnMemo | undefined,
  input: readonly Doc[],
  options: FilterDocumentsOptions<Doc>,
): Promise<FilterDocumentsResult<Doc>> {
  const where = 'filterDocuments';
  if (!Array.isArray(input)) throw new TypeError(`${where}: documents must be an array`);
  const documents = [...input]; // what is checked is what is returned, whatever the caller does to its array
  validateFilterOptions(where, options);
  const { session, relation } = options;
  const question = questionContext(options);
  const key = contextKey(where, question);
  const user = core.userOf(session);
  const objects = documents.map((document) => objectOf(options.object, document));
  const invalid = objects.filter((object) => object === undefined).length;
  const stats: FilterStats = {
    ...newStats(),
    candidates: documents.length,
    allowed: 0,
    removed: documents.length,
    invalid,
    itemErrors: 0,
  };
  const tool = options.name ?? where;
  const guard = `fga(${relation})`;
  const request = { user, relation, objects, question, contextKey: key, signal: options.signal, stats };
  const strategy = resolveStrategy(core, memo, request, options.strategy ?? 'adaptive');
  try {
    const allowed = await authorizeObjects(core, memo, request, strategy);
    const survivors = documents.filter((_document, index) => allowed[index]);
    stats.allowed = survivors.length;
    stats.removed = documents.length - survivors.length;
    await recordFilterEvent(core, session, {
      tool,
      guard,
      outcome: 'allow',
      reason: describeRun(strategy, stats),
    });
    return { success: true, documents: survivors, strategy, stats };
  } catch (error) {
    let failure = asFailure(error);
    try {
      await recordFilterEvent(core, session, {
        tool,
        guard,
        outcome: 'failed',
        code: failure.code,
        reason: failureReason(describeRun(strategy, stats), failure),
      });
    } catch (auditError) {
      failure = asFailure(auditError);
    }
    return { success: false, documents: [], strategy, stats: { ...stats, allowed: 0 }, error: failure };
  }
}

/** The audit reason of a run: counts only, never a document or its id. */
export function describeRun(strategy: string | undefined, stats: FilterStats): string {
  const parts = [
    `${strategy ?? 'no strategy'}: ${stats.candidates} candidates`,
    `${stats.allowed} allowed`,
    `${stats.removed} removed`,
  ];
  if (stats.invalid > 0) parts.push(`${stats.invalid} without a valid object`);
  if (stats.itemErrors > 0) parts.push(`${stats.itemErrors} not evaluable`);
  parts.push(`${stats.requests} requests`);
  if (stats.memoHits + stats.cacheHits > 0) parts.push(`${stats.memoHits + stats.cacheHits} answers reused`);
  return parts.join(', ');
}
