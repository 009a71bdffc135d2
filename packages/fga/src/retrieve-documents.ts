import { type AuditFailed, boundServerText, describeThrown } from '@agentgate/core';
import { FgaRequestFailed } from './errors';
import {
  asFailure,
  describeRun,
  type FilterDocumentsOptions,
  type FilterStats,
  type FilterStrategy,
  failureReason,
  objectOf,
  validateFilterOptions,
} from './filter-documents';
import {
  askChecks,
  askList,
  type Core,
  hasList,
  type ListAnswer,
  newStats,
  recordFilterEvent,
  throwIfAborted,
} from './internal/core';
import type { TurnMemo } from './internal/memo';
import { contextKey, listKey } from './internal/question-key';
import { assertFunction, assertName, positiveInteger, questionContext } from './internal/validate';

/** The allowed set handed to a retriever in the pre-filter form: filter by it (a vector store's metadata filter). */
export interface AllowedObjects {
  /** The FGA type of the documents, e.g. `'doc'`. */
  readonly type: string;
  /** Every object the user may see, `type:id`. */
  readonly objects: ReadonlySet<string>;
  /** The same without the `type:` prefix: what a metadata field usually holds. */
  readonly ids: ReadonlySet<string>;
}

/** One call of the retriever: the next `limit` documents after `offset`, in rank order. */
export interface RetrieveRequest {
  /** Position in the ranked list: of all documents, or (when `allowed` is given) of the allowed ones. */
  readonly offset: number;
  readonly limit: number;
  /** 1 for the first call. */
  readonly round: number;
  /**
   * Present in the pre-filter form: return only documents in this set, so `offset` counts allowed documents. A
   * retriever that cannot filter may ignore it; the authorizer filters again either way.
   */
  readonly allowed?: AllowedObjects;
  readonly signal?: AbortSignal;
}

export interface RetrieveDocumentsOptions<Doc> extends Omit<FilterDocumentsOptions<Doc>, 'name' | 'object'> {
  /**
   * The FGA object of a document, `type:id`. A document without one is dropped. `Doc` is inferred from this
   * function's parameter type, or — when it is untyped — from `fetch` written before it.
   */
  object: (document: Doc) => string;
  /** The FGA type of every document (what a pre-filter lists). Documents of another type are dropped. */
  type: string;
  /** How many authorized documents the caller wants. */
  k: number;
  /** The retriever: fewer than `limit` documents back means the ranked list has ended. */
  fetch: (request: RetrieveRequest) => readonly Doc[] | Promise<readonly Doc[]>;
  /** Rounds of fetch + authorize at most. @default 4 */
  maxRounds?: number;
  /** The first round fetches `ceil(k × overFetch)` candidates. @default 2 */
  overFetch?: number;
  /** No round fetches more candidates than this. @default 1000 */
  maxCandidatesPerRound?: number;
  /** @default 'retrieveDocuments' */
  name?: string;
}

/** One round: which way it authorized, where it fetched, what came back and what survived. */
export interface RetrieveRound {
  strategy: 'post' | 'pre';
  offset: number;
  limit: number;
  fetched: number;
  allowed: number;
}

export interface RetrieveStats extends FilterStats {
  rounds: RetrieveRound[];
  /** Whether the retriever ran out of documents before `k` were found. */
  exhausted: boolean;
}

/** Up to `k` authorized documents in rank order (fewer only when the list ended or `maxRounds` was reached). */
export type RetrieveDocumentsResult<Doc> =
  | { success: true; documents: Doc[]; stats: RetrieveStats; error?: never }
  | { success: false; documents: []; stats: RetrieveStats; error: FgaRequestFailed | AuditFailed };

const EXTRA = ['type', 'k', 'fetch', 'maxRounds', 'overFetch', 'maxCandidatesPerRound'];

/** Implementation of `FgaAuthorizer.retrieveDocuments`: top-k with refill. */
export async function retrieveDocuments<Doc>(
  core: Core,
  memo: TurnMemo | undefined,
  options: RetrieveDocumentsOptions<Doc>,
): Promise<RetrieveDocumentsResult<Doc>> {
  const where = 'retrieveDocuments';
  validateFilterOptions(where, options, EXTRA);
  assertName(where, 'type', options.type);
  assertFunction(where, 'fetch', options.fetch);
  const k = positiveInteger(where, 'k', options.k ?? Number.NaN, 0);
  const maxRounds = positiveInteger(where, 'maxRounds', options.maxRounds, 4);
  const maxPerRound = positiveInteger(where, 'maxCandidatesPerRound', options.maxCandidatesPerRound, 1000);
  const overFetch = options.overFetch ?? 2;
  if (typeof overFetch !== 'number' || !(overFetch >= 1) || !Number.isFinite(overFetch)) {
    throw new TypeError(`${where}: overFetch must be a number ≥ 1`);
  }
  const { session, relation, type } = options;
  const question = questionContext(options);
  const key = contextKey(where, question);
  const user = core.userOf(session);
  const requested: FilterStrategy = options.strategy ?? 'adaptive';
  const stats: RetrieveStats = {
    ...newStats(),
    candidates: 0,
    allowed: 0,
    removed: 0,
    invalid: 0,
    itemErrors: 0,
    rounds: [],
    exhausted: false,
  };
  const ask = { signal: options.signal, stats };
  const survivors: Doc[] = [];
  const seen = new Set<string>();
  const offsets = { post: 0, pre: 0 };
  const firstLimit = Math.min(maxPerRound, Math.ceil(k * overFetch));
  const listed = listKey(user, relation, type, key);
  let ignoresFilter = false;

  /** The adaptive choice for the next round, given what the rounds so far saw. */
  const nextMode = (need: number): 'post' | 'pre' => {
    if (requested !== 'adaptive') return requested;
    if (hasList(core, memo, listed)) return 'pre';
    const learned = core.learned.get(listed);
    if (learned && !learned.complete) return 'post';
    const visible = (stats.allowed + 1) / (stats.candidates - stats.invalid + 2);
    const expected = stats.rounds.length === 0 ? firstLimit : need / visible;
    if (learned) return learned.count * core.listedObjectCost <= expected ? 'pre' : 'post';
    if (stats.rounds.length === 0) return 'post';
    return expected > maxPerRound || expected >= core.probeThreshold ? 'pre' : 'post';
  };

  try {
    for (let round = 1; round <= maxRounds && survivors.length < k; round++) {
      const need = k - survivors.length;
      let mode = nextMode(need);
      let list: ListAnswer | undefined;
      if (mode === 'pre') {
        list = await askList(core, memo, { user, relation, type, ...question }, key, ask);
        if (!list.complete) mode = 'post'; // a list the server cut short would hide allowed documents
      }
      const visible = (stats.allowed + 1) / (stats.candidates - stats.invalid + 2);
      const limit =
        round === 1
          ? firstLimit
          : mode === 'pre' && !ignoresFilter
            ? Math.min(maxPerRound, offsets.pre === 0 ? need + stats.allowed : need) // from 0: survivors come back too
            : Math.min(maxPerRound, Math.max(need, Math.ceil((need / visible) * 1.2)));
      const allowedSet =
        mode === 'pre' && list
          ? {
              type,
              objects: list.objects,
              ids: new Set([...list.objects].map((object) => object.slice(type.length + 1))),
            }
          : undefined;
      const offset = offsets[mode];
      const documents = await retrieve(options, {
        offset,
        limit,
        round,
        ...(allowedSet ? { allowed: allowedSet } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      offsets[mode] += documents.length;
      const fresh: { document: Doc; object: string }[] = [];
      for (const document of documents) {
        const object = objectOf(options.object, document);
        if (object === undefined || !object.startsWith(`${type}:`)) {
          stats.invalid++;
          stats.candidates++;
          continue;
        }
        if (seen.has(object)) continue;
        seen.add(object);
        fresh.push({ document, object });
      }
      stats.candidates += fresh.length;
      let allowed: boolean[];
      if (mode === 'pre' && list) {
        allowed = fresh.map(({ object }) => list.objects.has(object));
        // A retriever that returns documents outside the set does not filter: size later rounds like post rounds.
        if (allowed.includes(false)) ignoresFilter = true;
      } else {
        const questions = fresh.map(({ object }) => ({ user, relation, object, ...question }));
        const answers = await askChecks(
          core,
          memo,
          questions,
          questions.map(() => key),
          {
            ...ask,
            operation: 'batchCheck',
          },
        );
        allowed = answers.map((answer) => {
          if (answer.error !== undefined) stats.itemErrors++;
          return answer.allowed;
        });
      }
      let kept = 0;
      for (const [index, { document }] of fresh.entries()) {
        if (!allowed[index]) continue;
        stats.allowed++;
        kept++;
        if (survivors.length < k) survivors.push(document);
      }
      stats.rounds.push({ strategy: mode, offset, limit, fetched: documents.length, allowed: kept });
      if (documents.length < limit) {
        // The list in this form has ended. After a pre round every allowed document has been seen; after a post
        // round every document has.
        stats.exhausted = true;
        break;
      }
    }
    stats.removed = stats.candidates - stats.allowed;
    await recordFilterEvent(core, session, {
      tool: options.name ?? where,
      guard: `fga(${relation})`,
      outcome: 'allow',
      reason: describeRetrieval(k, survivors.length, stats),
    });
    return { success: true, documents: survivors, stats };
  } catch (error) {
    let failure = asFailure(error);
    stats.removed = stats.candidates;
    try {
      await recordFilterEvent(core, session, {
        tool: options.name ?? where,
        guard: `fga(${relation})`,
        outcome: 'failed',
        code: failure.code,
        reason: failureReason(describeRetrieval(k, 0, stats), failure),
      });
    } catch (auditError) {
      failure = asFailure(auditError);
    }
    return { success: false, documents: [], stats: { ...stats, allowed: 0 }, error: failure };
  }
}

/**
 * One call of the caller's retriever, its documents copied at once (at most `limit`). What it throws — or an answer
 * that is not an array — is `FgaRequestFailed` with reason `retriever_failed` (operation `retrieve`), its text bounded:
 * a retriever's error may quote the allowed set.
 */
async function retrieve<Doc>(
  options: RetrieveDocumentsOptions<Doc>,
  request: RetrieveRequest,
): Promise<Doc[]> {
  throwIfAborted('retrieve', options.signal);
  let fetched: unknown;
  try {
    fetched = await options.fetch(request);
  } catch (error) {
    if (FgaRequestFailed.isInstance(error)) throw error;
    if (options.signal?.aborted) throwIfAborted('retrieve', options.signal);
    throw new FgaRequestFailed('retrieve', 'retriever_failed', boundServerText(describeThrown(error)), {
      cause: error,
    });
  }
  if (!Array.isArray(fetched)) {
    throw new FgaRequestFailed('retrieve', 'retriever_failed', 'fetch must return an array of documents');
  }
  return fetched.slice(0, request.limit) as Doc[];
}

function describeRetrieval(k: number, returned: number, stats: RetrieveStats): string {
  const ways = stats.rounds.map((round) => round.strategy).join('+') || 'none';
  return `top-${k}: ${returned} returned in ${stats.rounds.length} rounds (${ways}); ${describeRun(undefined, stats).replace(/^no strategy: /, '')}`;
}
