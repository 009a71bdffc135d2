import type { AgentSession, AuditEventDraft, AuditLog, SentSecrets } from '@agentgate/core';
import { raceAbort } from '@agentgate/core';
import { type FgaOperation, FgaRequestFailed } from '../errors';
import { abortedFailure, toRequestFailure } from './failures';
import type { DecisionCache, TurnMemo } from './memo';
import { checkKey, listKey } from './question-key';
import type { CheckAnswer, FgaTransport, WireBatchItem, WireCheck, WireListObjects } from './transport';

/** What every operation of one authorizer shares. */
export interface Core {
  readonly transport: FgaTransport;
  readonly userOf: (session: AgentSession) => string;
  readonly batchSize: number;
  readonly maxParallelRequests: number;
  readonly timeoutMs: number;
  readonly listObjectsMaxResults: number;
  readonly probeThreshold: number;
  /** What one listed object costs relative to one checked candidate, for the adaptive choice. */
  readonly listedObjectCost: number;
  readonly cache: DecisionCache | undefined;
  readonly audit: AuditLog | undefined;
  readonly learned: LearnedCounts;
  /** The configured credentials (API token, client secret): masked in whatever server text is kept. */
  readonly secrets: SentSecrets;
}

/** Counts of one operation, for results, audit reasons and the benchmark. */
export interface AskStats {
  /** Questions sent to the server (after de-duplication, memo and cache). */
  questions: number;
  /** Requests sent: `/batch-check` chunks, `/check`, `/list-objects` (the SDK's retries not counted). */
  requests: number;
  /** Answers taken from this turn's memo. */
  memoHits: number;
  /** Answers taken from the decision cache. */
  cacheHits: number;
}

export const newStats = (): AskStats => ({ questions: 0, requests: 0, memoHits: 0, cacheHits: 0 });

/** A list-objects answer: the objects, and whether the server may have cut the list short. */
export interface ListAnswer {
  readonly objects: ReadonlySet<string>;
  readonly complete: boolean;
}

interface AskOptions {
  signal: AbortSignal | undefined;
  stats: AskStats;
}

/**
 * Runs one request under the authorizer's deadline (`timeoutMs`, started now) and, when given, the caller's signal;
 * whatever it throws becomes `FgaRequestFailed`. A request shared through the turn's memo gets no caller signal:
 * one caller's abort must not fail the others waiting for it.
 */
export async function withDeadline<T>(
  core: Core,
  operation: FgaOperation,
  caller: AbortSignal | undefined,
  task: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException('the FGA request timed out', 'TimeoutError')),
    core.timeoutMs,
  );
  timer.unref?.();
  const signal = caller ? AbortSignal.any([caller, deadline.signal]) : deadline.signal;
  try {
    signal.throwIfAborted();
    const running = task(signal);
    running.catch(() => {}); // settled below, or abandoned on abort: never an unhandled rejection
    return await raceAbort(running, signal);
  } catch (error) {
    throw toRequestFailure(operation, error, { caller, deadline: deadline.signal }, core.secrets);
  } finally {
    clearTimeout(timer);
  }
}

/** Rejects at once when the caller's signal has fired: also an answer from the memo or the cache is not given. */
export function throwIfAborted(operation: FgaOperation, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedFailure(operation);
}

/**
 * Waits for `answer` (possibly shared with other callers of the turn) until the caller's own signal fires. The
 * promise is marked handled first, so its later rejection never goes unhandled when this caller stopped waiting.
 */
export async function awaitAnswer<T>(
  operation: FgaOperation,
  answer: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  answer.catch(() => {});
  try {
    return await raceAbort(answer, signal);
  } catch (error) {
    if (FgaRequestFailed.isInstance(error)) throw error;
    if (signal?.aborted) throw abortedFailure(operation);
    throw error;
  }
}

/**
 * Answers checks in input order. Identical questions (same user, relation, object, contextual tuples and context) are
 * asked once; answers come from the turn's memo, then the decision cache, then `/batch-check` requests (chunks of the
 * batch size). Item errors count as not allowed and are neither memoised nor cached.
 */
export async function askChecks(
  core: Core,
  memo: TurnMemo | undefined,
  questions: readonly WireCheck[],
  contextKeys: readonly string[],
  options: AskOptions & { operation: FgaOperation },
): Promise<CheckAnswer[]> {
  const { stats, signal, operation } = options;
  throwIfAborted(operation, signal);
  const keys = questions.map((question, index) =>
    checkKey(question.user, question.relation, question.object, contextKeys[index] ?? ''),
  );
  const answers = new Map<string, Promise<CheckAnswer>>();
  const toAsk: WireCheck[] = [];
  const toAskKeys: string[] = [];
  const queued = new Set<string>();
  for (const [index, key] of keys.entries()) {
    if (answers.has(key) || queued.has(key)) continue;
    const memoised = memo?.get<CheckAnswer>(key);
    if (memoised) {
      stats.memoHits++;
      answers.set(key, memoised);
      continue;
    }
    const cached = core.cache?.get<boolean>(key);
    if (cached !== undefined) {
      stats.cacheHits++;
      const answer = Promise.resolve({ allowed: cached });
      answers.set(key, answer);
      memo?.set(key, answer);
      continue;
    }
    queued.add(key);
    toAsk.push(questions[index]!);
    toAskKeys.push(key);
  }
  if (toAsk.length > 0) {
    stats.questions += toAsk.length;
    // In a turn the requests are shared (later and concurrent questions wait for them): they run under the deadline
    // only, and this caller stops waiting when its signal fires. Outside a turn the caller's signal cancels them.
    const asked = sendChecks(core, toAsk, { operation, stats, signal: memo ? undefined : signal });
    for (const [position, key] of toAskKeys.entries()) {
      const answer = asked[position]!;
      answers.set(key, answer);
      memo?.set(key, answer);
      answer.then(
        ({ allowed, error }) => {
          if (error === undefined) core.cache?.set(key, allowed);
          else if (memo?.get(key) === answer) memo.delete(key); // not evaluable: ask again next time
        },
        () => {}, // the memo forgets failed asks; the caller gets the failure below
      );
    }
  }
  // One promise over every answer this call needs (its own requests and those of other callers in the turn): the
  // first failure rejects it, and every other rejection is handled by it — none is left unhandled.
  const keyed = [...answers];
  const settled = await awaitAnswer(operation, Promise.all(keyed.map(([, answer]) => answer)), signal);
  const byKey = new Map(keyed.map(([key], index) => [key, settled[index]!]));
  return keys.map((key) => byKey.get(key)!);
}

/**
 * Sends checks as `/batch-check` requests of at most `batchSize` items, at most `maxParallelRequests` in flight; each
 * request under its own deadline (`timeoutMs` counts per request, so a long list of candidates does not time out as a
 * whole). Correlation ids are unique across the chunks and each answer must hold exactly its chunk's ids. Once a
 * request has failed, the chunks not yet sent are not sent: they fail the same way. One promise per question.
 */
function sendChecks(
  core: Core,
  questions: readonly WireCheck[],
  options: { operation: FgaOperation; stats: AskStats; signal: AbortSignal | undefined },
): Promise<CheckAnswer>[] {
  const chunks: WireBatchItem[][] = [];
  for (let start = 0; start < questions.length; start += core.batchSize) {
    chunks.push(
      questions
        .slice(start, start + core.batchSize)
        .map((question, offset) => ({ id: String(start + offset), question })),
    );
  }
  const results = chunks.map(() => deferred<CheckAnswer[]>());
  let failure: unknown;
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const index = next++;
      const result = results[index]!;
      if (failure !== undefined) {
        result.reject(failure);
        continue;
      }
      options.stats.requests++;
      try {
        result.resolve(
          await withDeadline(core, options.operation, options.signal, (signal) =>
            core.transport.batchCheck(chunks[index]!, signal),
          ),
        );
      } catch (error) {
        failure ??= error;
        result.reject(error);
      }
    }
  };
  for (let started = 0; started < Math.min(core.maxParallelRequests, chunks.length); started++) void worker();
  return questions.map((_question, position) =>
    results[Math.floor(position / core.batchSize)]!.promise.then(
      (answers) => answers[position % core.batchSize]!,
    ),
  );
}

function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

/** One check through `/check` (memo and cache first). */
export async function askCheck(
  core: Core,
  memo: TurnMemo | undefined,
  question: WireCheck,
  contextKey: string,
  options: AskOptions,
): Promise<boolean> {
  throwIfAborted('check', options.signal);
  const key = checkKey(question.user, question.relation, question.object, contextKey);
  const memoised = memo?.get<CheckAnswer>(key);
  if (memoised) {
    options.stats.memoHits++;
    return (await awaitAnswer('check', memoised, options.signal)).allowed;
  }
  const cached = core.cache?.get<boolean>(key);
  if (cached !== undefined) {
    options.stats.cacheHits++;
    memo?.set(key, Promise.resolve({ allowed: cached }));
    return cached;
  }
  options.stats.questions++;
  options.stats.requests++;
  const answer = withDeadline(core, 'check', memo ? undefined : options.signal, (signal) =>
    core.transport.check(question, signal),
  );
  memo?.set(key, answer);
  answer.then(
    ({ allowed }) => core.cache?.set(key, allowed),
    () => {},
  );
  return (await awaitAnswer('check', answer, options.signal)).allowed;
}

/** One `/list-objects` (memo and cache first); teaches the adaptive filter how much this user can see. */
export async function askList(
  core: Core,
  memo: TurnMemo | undefined,
  request: WireListObjects,
  contextKey: string,
  options: AskOptions,
): Promise<ListAnswer> {
  throwIfAborted('listObjects', options.signal);
  const key = listKey(request.user, request.relation, request.type, contextKey);
  const memoised = memo?.get<ListAnswer>(key);
  if (memoised) {
    options.stats.memoHits++;
    return awaitAnswer('listObjects', memoised, options.signal);
  }
  const cached = core.cache?.get<ListAnswer>(key);
  if (cached !== undefined) {
    options.stats.cacheHits++;
    memo?.set(key, Promise.resolve(cached));
    return cached;
  }
  options.stats.questions++;
  options.stats.requests++;
  const answer = withDeadline(core, 'listObjects', memo ? undefined : options.signal, (signal) =>
    core.transport.listObjects(request, signal),
  ).then((objects): ListAnswer => {
    const complete = objects.length < core.listObjectsMaxResults;
    const result = { objects: new Set(objects), complete };
    core.learned.set(key, objects.length, complete);
    core.cache?.set(key, result);
    return result;
  });
  memo?.set(key, answer);
  return awaitAnswer('listObjects', answer, options.signal);
}

/** Whether the memo or the cache already holds this list (answering from it costs no request). */
export function hasList(core: Core, memo: TurnMemo | undefined, key: string): boolean {
  return memo?.get(key) !== undefined || core.cache?.get(key) !== undefined;
}

/**
 * How many objects each user could see, learned from list-objects answers: what the adaptive filter weighs against
 * the candidate count. Estimates only steer cost, never an answer; they age out after ten minutes.
 */
export class LearnedCounts {
  readonly #counts = new Map<string, { count: number; complete: boolean; at: number }>();
  static readonly MAX_ENTRIES = 10_000;
  static readonly MAX_AGE_MS = 10 * 60_000;

  set(key: string, count: number, complete: boolean): void {
    this.#counts.delete(key);
    this.#counts.set(key, { count, complete, at: Date.now() });
    if (this.#counts.size > LearnedCounts.MAX_ENTRIES) {
      const oldest = this.#counts.keys().next();
      if (!oldest.done) this.#counts.delete(oldest.value);
    }
  }

  get(key: string): { count: number; complete: boolean } | undefined {
    const entry = this.#counts.get(key);
    if (!entry) return undefined;
    if (Date.now() - entry.at > LearnedCounts.MAX_AGE_MS) {
      this.#counts.delete(key);
      return undefined;
    }
    return entry;
  }
}

/** Appends an audit event for an authorizer operation outside a tool call (phase `filter`). */
export async function recordFilterEvent(
  core: Core,
  session: AgentSession | undefined,
  draft: Pick<AuditEventDraft, 'tool' | 'guard' | 'outcome' | 'reason' | 'code'>,
): Promise<void> {
  if (!core.audit) return;
  await core.audit.append({
    ...draft,
    callId: crypto.randomUUID(),
    phase: 'filter',
    ...(session === undefined
      ? {}
      : {
          sessionId: session.id,
          sub: session.user.sub,
          ...(session.tenant === undefined ? {} : { tenant: session.tenant }),
          ...(session.agent === undefined ? {} : { agent: session.agent.id }),
        }),
  });
}
