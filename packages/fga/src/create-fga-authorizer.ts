import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type AgentSession,
  type AuditLog,
  type AuditSink,
  assertKnownOptions,
  createAuditLog,
  describeThrown,
  GateDenied,
  type Guard,
  SentSecrets,
} from '@agentgate/core';
import type { UserClientConfigurationParams } from '@openfga/sdk';
import { type AuthorizedToolsOptions, type AuthorizedToolsResult, authorizedTools } from './authorized-tools';
import type { FgaOperation, FgaRequestFailed } from './errors';
import { type FgaGuardOptions, fgaGuard } from './fga-guard';
import { type FilterDocumentsOptions, type FilterDocumentsResult, filterDocuments } from './filter-documents';
import {
  askCheck,
  askChecks,
  askList,
  type Core,
  LearnedCounts,
  newStats,
  recordFilterEvent,
  withDeadline,
} from './internal/core';
import { auditReason } from './internal/failures';
import { localTransport } from './internal/local-transport';
import { DecisionCache, TurnMemo } from './internal/memo';
import { contextKey } from './internal/question-key';
import { sdkTransport } from './internal/sdk-transport';
import {
  assertName,
  assertQuestionContext,
  assertSession,
  assertSignal,
  assertTupleKey,
  assertTuples,
  isObjectId,
  isPlainSubject,
  positiveInteger,
  questionContext,
} from './internal/validate';
import type { LocalFgaEngine } from './local-engine';
import {
  type RetrieveDocumentsOptions,
  type RetrieveDocumentsResult,
  retrieveDocuments,
} from './retrieve-documents';
import type { FgaConsistency, FgaQuestionContext, FgaTuple, FgaTupleKey } from './types';

/** How the SDK authenticates to the server: `@openfga/sdk`'s own `credentials` (API token or client credentials). */
export type FgaCredentials = UserClientConfigurationParams['credentials'];

/** The optional decision cache: answers kept across turns for `ttlSeconds` — fresher is off (the default). */
export interface FgaDecisionCacheOptions {
  ttlSeconds: number;
  /** @default 10000 */
  maxEntries?: number;
}

/** Options every authorizer takes. */
export interface FgaAuthorizerCommonOptions {
  storeId: string;
  /** Pin a model; without it the server uses the store's latest. */
  authorizationModelId?: string;
  /**
   * The FGA user of a session. The default, `user:<sub>`, ignores the issuer and the tenant and refuses a subject
   * that is not a plain id (`#`, `*`, `:`, whitespace: the session is denied with `NO_SESSION`). A store shared by
   * several issuers or tenants needs its own mapping, e.g. `(session) => \`user:${session.tenant}|${session.user.sub}\``.
   * @default session => `user:${session.user.sub}`
   */
  user?: (session: AgentSession) => string;
  /** Checks per `/batch-check` request: the server's limit. @default 50 */
  batchSize?: number;
  /** `/batch-check` (and chunked write) requests in flight at once. @default 5 */
  maxParallelRequests?: number;
  /**
   * Deadline of one request to the server, the SDK's retries included, in milliseconds: each `/batch-check` chunk,
   * `/check` and `/list-objects` has its own (a filter of many candidates is not cut short as a whole — bound it with
   * your `signal`); a write of more than 100 tuples shares one across its chunks. @default 10000
   */
  timeoutMs?: number;
  /**
   * The most objects the server returns from `/list-objects` (OpenFGA: `OPENFGA_LIST_OBJECTS_MAX_RESULTS`). A list
   * this long may be cut short, so it is never used to exclude. @default 1000 with a server, Infinity in-process
   */
  listObjectsMaxResults?: number;
  /**
   * The adaptive filter lists what the user can see, when it knows nothing of it yet, from this many candidates.
   * @default batchSize + 1 (whenever checking would take more than one request)
   */
  probeThreshold?: number;
  /**
   * What one object in a list-objects answer costs relative to one checked candidate, for the adaptive choice: pre
   * when `accessible × listedObjectCost ≤ candidates`. Measured against fga-local (`bench/fga-filter.ts`); tune it
   * for your server. @default 0.1 with a server (a check pays its share of an HTTP request), 0.4 in-process
   */
  listedObjectCost?: number;
  /** Short-TTL decision cache across turns; off by default (it trades freshness for speed). */
  cache?: FgaDecisionCacheOptions | false;
  /** Where filter counts and server failures are recorded (phase `filter`); pass `gate.audit` to share its chain. */
  audit?: AuditSink | AuditLog | false;
}

/** An authorizer over an OpenFGA server (or Auth0 FGA, or fga-local's server) through `@openfga/sdk`. */
export interface FgaServerAuthorizerOptions extends FgaAuthorizerCommonOptions {
  apiUrl: string;
  credentials?: FgaCredentials;
  /** @default the server's default (MINIMIZE_LATENCY) */
  consistency?: FgaConsistency;
  /** The SDK's retries of 429 / 5xx / network errors. @default { maxRetry: 3, minWaitInMs: 100 } */
  retry?: { maxRetry?: number; minWaitInMs?: number };
  local?: never;
}

/** An authorizer over fga-local's engine in this process (`createLocalFga()`). */
export interface FgaLocalAuthorizerOptions extends FgaAuthorizerCommonOptions {
  local: LocalFgaEngine;
  apiUrl?: never;
  credentials?: never;
  consistency?: never;
  retry?: never;
}

export type FgaAuthorizerOptions = FgaServerAuthorizerOptions | FgaLocalAuthorizerOptions;

export interface FgaCheckRequest extends FgaQuestionContext {
  session: AgentSession;
  relation: string;
  object: string;
  signal?: AbortSignal;
}

export interface FgaBatchCheckItem extends FgaQuestionContext {
  relation: string;
  object: string;
}

export interface FgaBatchCheckRequest {
  session: AgentSession;
  checks: readonly FgaBatchCheckItem[];
  signal?: AbortSignal;
}

export interface FgaListObjectsRequest extends FgaQuestionContext {
  session: AgentSession;
  relation: string;
  type: string;
  signal?: AbortSignal;
}

/** One interface over a server and the in-process engine. Every answer about a session is that session's user's. */
export interface FgaAuthorizer {
  /** Whether the session's user has `relation` on `object`. @throws FgaRequestFailed (GUARD_FAILED) */
  check(request: FgaCheckRequest): Promise<boolean>;
  /**
   * Answers in input order, through `/batch-check` in chunks of `batchSize`; identical checks asked once. A check
   * the server could not evaluate is `false`. @throws FgaRequestFailed — then nothing is allowed
   */
  batchCheck(request: FgaBatchCheckRequest): Promise<boolean[]>;
  /** Objects of `type` the session's user has `relation` with (the server may cap the list). @throws FgaRequestFailed */
  listObjects(request: FgaListObjectsRequest): Promise<string[]>;
  /** Writes tuples: one atomic request up to 100, chunks (each atomic) beyond. @throws FgaRequestFailed */
  writeTuples(tuples: readonly FgaTuple[], options?: { signal?: AbortSignal }): Promise<void>;
  /** Deletes tuples, chunked like `writeTuples`. @throws FgaRequestFailed */
  deleteTuples(tuples: readonly FgaTupleKey[], options?: { signal?: AbortSignal }): Promise<void>;
  /** Keeps the documents the session's user may see, in input order. Never throws for a server failure. */
  filterDocuments<Doc>(
    documents: readonly Doc[],
    options: FilterDocumentsOptions<Doc>,
  ): Promise<FilterDocumentsResult<Doc>>;
  /** Top-k authorized documents from a retriever, refilling until `k` or `maxRounds`. Never throws for a server failure. */
  retrieveDocuments<Doc>(options: RetrieveDocumentsOptions<Doc>): Promise<RetrieveDocumentsResult<Doc>>;
  /**
   * A guard (kind `fga`) that checks the session's user against the object the call's arguments name. Its contextual
   * tuples and context come from the session, never the arguments, unless `trustArguments: true`.
   */
  guard<Args>(options: FgaGuardOptions<Args>): Guard<Args>;
  /** The tools the session's user may call, before the model sees the list. Never throws for a server failure. */
  authorizedTools<Tool>(
    session: AgentSession,
    tools: readonly Tool[],
    options: AuthorizedToolsOptions<Tool>,
  ): Promise<AuthorizedToolsResult<Tool>>;
  /**
   * The same authorizer with a memo for one agent turn: a question asked twice is sent once. Discard it when the turn
   * ends (answers are not refreshed).
   */
  forTurn(): FgaAuthorizer;
  /** Runs `fn` as one turn: every call of this authorizer and its guards inside shares one memo. */
  runTurn<T>(fn: () => T): T;
  /** The FGA user of a session (`user:<sub>` by default). */
  userOf(session: AgentSession): string;
}

const COMMON = [
  'storeId',
  'authorizationModelId',
  'user',
  'batchSize',
  'maxParallelRequests',
  'timeoutMs',
  'listObjectsMaxResults',
  'probeThreshold',
  'listedObjectCost',
  'cache',
  'audit',
];
const SERVER = [...COMMON, 'apiUrl', 'credentials', 'consistency', 'retry'];
const LOCAL = [...COMMON, 'local'];
const WHERE = 'createFgaAuthorizer';
/** OpenFGA's store and model ids (what `@openfga/sdk` insists on). */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** The configured credentials' secrets (API token, client secret): masked in any server text kept. */
function credentialSecrets(credentials: FgaCredentials | undefined): string[] {
  const config = (credentials as { config?: Record<string, unknown> } | undefined)?.config;
  if (typeof config !== 'object' || config === null) return [];
  return ['token', 'clientSecret', 'clientAssertionSigningKey'].flatMap((name) => {
    const value = config[name];
    return typeof value === 'string' && value.length > 0 ? [value] : [];
  });
}

/**
 * Creates an authorizer: `{ apiUrl, storeId, … }` for an OpenFGA server through `@openfga/sdk`, or
 * `{ local, storeId }` for fga-local's engine in this process.
 *
 * @example
 * const fga = createFgaAuthorizer({ apiUrl: 'http://127.0.0.1:8080', storeId, audit: gate.audit });
 * const { documents } = await fga.filterDocuments(hits, { session, relation: 'viewer', object: (hit) => `doc:${hit.id}` });
 * @throws TypeError for a missing, unknown or malformed option
 */
export function createFgaAuthorizer(input: FgaAuthorizerOptions): FgaAuthorizer {
  if (typeof input !== 'object' || input === null) throw new TypeError(`${WHERE}: options must be an object`);
  // An option set to `undefined` is an option not given (`{ local: undefined, apiUrl }` is a server authorizer).
  const options = Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== undefined),
  ) as FgaAuthorizerOptions;
  const isLocal = options.local !== undefined;
  assertKnownOptions(WHERE, options, isLocal ? LOCAL : SERVER);
  if (typeof options.storeId !== 'string' || options.storeId.length === 0) {
    throw new TypeError(`${WHERE}: storeId must be a non-empty string`);
  }
  if (
    options.authorizationModelId !== undefined &&
    (typeof options.authorizationModelId !== 'string' || options.authorizationModelId.length === 0)
  ) {
    throw new TypeError(`${WHERE}: authorizationModelId must be a non-empty string`);
  }
  if (!isLocal) {
    for (const name of ['storeId', 'authorizationModelId'] as const) {
      const value = options[name];
      if (value !== undefined && !ULID.test(value)) {
        throw new TypeError(`${WHERE}: ${name} must be an OpenFGA id (a ULID, 26 characters)`);
      }
    }
  }
  if (options.user !== undefined && typeof options.user !== 'function') {
    throw new TypeError(`${WHERE}: user must be a function of the session`);
  }
  const batchSize = positiveInteger(WHERE, 'batchSize', options.batchSize, 50);
  const maxParallelRequests = positiveInteger(WHERE, 'maxParallelRequests', options.maxParallelRequests, 5);
  const timeoutMs = positiveInteger(WHERE, 'timeoutMs', options.timeoutMs, 10_000);
  const probeThreshold = positiveInteger(WHERE, 'probeThreshold', options.probeThreshold, batchSize + 1);
  const listedObjectCost = options.listedObjectCost ?? (isLocal ? 0.4 : 0.1);
  if (typeof listedObjectCost !== 'number' || !(listedObjectCost > 0) || !Number.isFinite(listedObjectCost)) {
    throw new TypeError(`${WHERE}: listedObjectCost must be a positive number`);
  }
  const listObjectsMaxResults = options.listObjectsMaxResults ?? (isLocal ? Number.POSITIVE_INFINITY : 1000);
  if (typeof listObjectsMaxResults !== 'number' || !(listObjectsMaxResults >= 1)) {
    throw new TypeError(`${WHERE}: listObjectsMaxResults must be a number ≥ 1 (Infinity for no cap)`);
  }
  const cache = decisionCache(options.cache);
  const audit = auditLog(options.audit);
  const secrets = new SentSecrets(isLocal ? [] : credentialSecrets(options.credentials));
  const transport = isLocal
    ? local(options as FgaLocalAuthorizerOptions)
    : server(options as FgaServerAuthorizerOptions);

  const userFunction = options.user;
  const userOf = (session: AgentSession): string => {
    assertSession('fga', session);
    if (!userFunction && !isPlainSubject(session.user.sub)) {
      throw new GateDenied(
        'NO_SESSION',
        "the session's subject is not a plain id ('#', '*', ':' or whitespace): it cannot be the FGA user user:<sub> (pass a user option)",
      );
    }
    const user = userFunction ? userFunction(session) : `user:${session.user.sub}`;
    if (typeof user !== 'string' || !/^[^:#\s]+:[^#\s]+(#[^#\s]+)?$/.test(user)) {
      throw new GateDenied('NO_SESSION', 'the FGA user of this session is not a valid user (type:id)');
    }
    return user;
  };
  const core: Core = {
    transport,
    userOf,
    batchSize,
    maxParallelRequests,
    timeoutMs,
    listObjectsMaxResults,
    probeThreshold,
    listedObjectCost,
    cache,
    audit,
    learned: new LearnedCounts(),
    secrets,
  };
  const turns = new AsyncLocalStorage<TurnMemo>();
  return authorizer(core, turns, undefined);

  function local(localOptions: FgaLocalAuthorizerOptions) {
    const engine = localOptions.local;
    for (const method of ['check', 'batchCheck', 'listObjects', 'write'] as const) {
      if (typeof engine?.[method] !== 'function') {
        throw new TypeError(
          `${WHERE}: local must be fga-local's engine (createLocalFga()); it has no ${method}()`,
        );
      }
    }
    return localTransport({
      engine,
      storeId: localOptions.storeId,
      authorizationModelId: localOptions.authorizationModelId,
      maxTuplesPerWrite: 100,
    });
  }

  function server(serverOptions: FgaServerAuthorizerOptions) {
    const { apiUrl, consistency, retry, credentials } = serverOptions;
    if (typeof apiUrl !== 'string' || !URL.canParse(apiUrl) || !/^https?:$/.test(new URL(apiUrl).protocol)) {
      throw new TypeError(`${WHERE}: apiUrl must be an http(s) URL (or pass local: createLocalFga())`);
    }
    if (
      consistency !== undefined &&
      consistency !== 'MINIMIZE_LATENCY' &&
      consistency !== 'HIGHER_CONSISTENCY'
    ) {
      throw new TypeError(`${WHERE}: consistency must be 'MINIMIZE_LATENCY' or 'HIGHER_CONSISTENCY'`);
    }
    if (retry !== undefined) {
      assertKnownOptions(WHERE, retry, ['maxRetry', 'minWaitInMs'], 'options.retry');
      for (const [name, value] of Object.entries(retry)) {
        if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
          throw new TypeError(`${WHERE}: retry.${name} must be an integer ≥ 0`);
        }
      }
      if ((retry.maxRetry ?? 0) > 15) {
        throw new TypeError(`${WHERE}: retry.maxRetry must be at most 15 (@openfga/sdk's limit)`);
      }
    }
    if (credentials !== undefined && (typeof credentials !== 'object' || credentials === null)) {
      throw new TypeError(`${WHERE}: credentials must be @openfga/sdk's { method, config }`);
    }
    try {
      return sdkTransport({
        apiUrl,
        storeId: serverOptions.storeId,
        authorizationModelId: serverOptions.authorizationModelId,
        credentials,
        consistency,
        retry,
        maxParallelRequests,
        maxTuplesPerWrite: 100,
      });
    } catch (error) {
      // The SDK validates its configuration in its constructor (retry.maxRetry ≤ 15, credentials' fields).
      const text = secrets.scrub(describeThrown(error));
      throw new TypeError(`${WHERE}: @openfga/sdk refuses the configuration: ${text}`);
    }
  }
}

function decisionCache(value: FgaDecisionCacheOptions | false | undefined): DecisionCache | undefined {
  if (value === undefined || value === false) return undefined;
  assertKnownOptions(WHERE, value, ['ttlSeconds', 'maxEntries'], 'options.cache');
  const { ttlSeconds, maxEntries = 10_000 } = value;
  if (typeof ttlSeconds !== 'number' || !(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
    throw new TypeError(`${WHERE}: cache.ttlSeconds must be a positive number of seconds`);
  }
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError(`${WHERE}: cache.maxEntries must be a positive integer`);
  }
  return new DecisionCache(ttlSeconds * 1000, maxEntries);
}

function auditLog(value: AuditSink | AuditLog | false | undefined): AuditLog | undefined {
  if (value === undefined || value === false) return undefined;
  if (typeof (value as AuditLog).append === 'function') return value as AuditLog;
  if (typeof (value as AuditSink).write === 'function') return createAuditLog({ sink: value as AuditSink });
  throw new TypeError(`${WHERE}: audit must be an AuditSink, an AuditLog (gate.audit) or false`);
}

function authorizer(
  core: Core,
  turns: AsyncLocalStorage<TurnMemo>,
  bound: TurnMemo | undefined,
): FgaAuthorizer {
  const memoFor = () => bound ?? turns.getStore();
  const known = (where: string) => (value: unknown, names: readonly string[]) =>
    assertKnownOptions(where, value, names);

  /** Records a failed direct query (phase `filter`) and rethrows it; a failed record fails with `AUDIT_FAILED`. */
  const failed = async (
    operation: FgaOperation,
    session: AgentSession | undefined,
    error: unknown,
  ): Promise<never> => {
    const failure = error as FgaRequestFailed;
    if (failure?.code === 'GUARD_FAILED') {
      await recordFilterEvent(core, session, {
        tool: `fga.${operation}`,
        outcome: 'failed',
        code: failure.code,
        reason: auditReason(failure),
      });
    }
    throw error;
  };

  const validateQuestion = (where: string, request: unknown, names: readonly string[]) => {
    assertKnownOptions(where, request, [...names, 'contextualTuples', 'context', 'signal'], 'request');
    const { session, signal } = request as { session: unknown; signal?: unknown };
    assertSession(where, session);
    assertSignal(where, signal);
    assertQuestionContext(where, request as FgaQuestionContext);
  };

  const write = async (
    operation: 'write' | 'deleteTuples',
    request: { writes?: readonly FgaTuple[]; deletes?: readonly FgaTupleKey[] },
    signal: AbortSignal | undefined,
  ) => {
    try {
      await withDeadline(core, operation, signal, (deadline) => core.transport.write(request, deadline));
    } catch (error) {
      await failed(operation, undefined, error);
    }
  };

  return Object.freeze({
    async check(request: FgaCheckRequest) {
      validateQuestion('fga.check', request, ['session', 'relation', 'object']);
      assertName('fga.check', 'relation', request.relation);
      if (!isObjectId(request.object)) throw new TypeError("fga.check: object must be 'type:id'");
      const question = questionContext(request);
      const user = core.userOf(request.session);
      try {
        return await askCheck(
          core,
          memoFor(),
          { user, relation: request.relation, object: request.object, ...question },
          contextKey('fga.check', question),
          { signal: request.signal, stats: newStats() },
        );
      } catch (error) {
        return failed('check', request.session, error);
      }
    },

    async batchCheck(request: FgaBatchCheckRequest) {
      assertKnownOptions('fga.batchCheck', request, ['session', 'checks', 'signal'], 'request');
      assertSession('fga.batchCheck', request.session);
      assertSignal('fga.batchCheck', request.signal);
      if (!Array.isArray(request.checks)) throw new TypeError('fga.batchCheck: checks must be an array');
      const user = core.userOf(request.session);
      const questions = request.checks.map((item) => {
        assertKnownOptions(
          'fga.batchCheck',
          item,
          ['relation', 'object', 'contextualTuples', 'context'],
          'check',
        );
        assertName('fga.batchCheck', 'relation', item.relation);
        if (!isObjectId(item.object)) throw new TypeError("fga.batchCheck: every object must be 'type:id'");
        assertQuestionContext('fga.batchCheck', item);
        return { user, relation: item.relation, object: item.object, ...questionContext(item) };
      });
      const keys = questions.map((question) => contextKey('fga.batchCheck', question));
      try {
        const answers = await askChecks(core, memoFor(), questions, keys, {
          signal: request.signal,
          stats: newStats(),
          operation: 'batchCheck',
        });
        return answers.map((answer) => answer.allowed);
      } catch (error) {
        return failed('batchCheck', request.session, error);
      }
    },

    async listObjects(request: FgaListObjectsRequest) {
      validateQuestion('fga.listObjects', request, ['session', 'relation', 'type']);
      assertName('fga.listObjects', 'relation', request.relation);
      assertName('fga.listObjects', 'type', request.type);
      const question = questionContext(request);
      const user = core.userOf(request.session);
      try {
        const list = await askList(
          core,
          memoFor(),
          { user, relation: request.relation, type: request.type, ...question },
          contextKey('fga.listObjects', question),
          { signal: request.signal, stats: newStats() },
        );
        return [...list.objects];
      } catch (error) {
        return failed('listObjects', request.session, error);
      }
    },

    async writeTuples(tuples: readonly FgaTuple[], options: { signal?: AbortSignal } = {}) {
      assertTuples('fga.writeTuples', tuples);
      assertKnownOptions('fga.writeTuples', options, ['signal']);
      assertSignal('fga.writeTuples', options.signal);
      if (tuples.length > 0) await write('write', { writes: tuples }, options.signal);
    },

    async deleteTuples(tuples: readonly FgaTupleKey[], options: { signal?: AbortSignal } = {}) {
      if (!Array.isArray(tuples)) throw new TypeError('fga.deleteTuples: tuples must be an array');
      for (const tuple of tuples) assertTupleKey('fga.deleteTuples', tuple);
      assertKnownOptions('fga.deleteTuples', options, ['signal']);
      assertSignal('fga.deleteTuples', options.signal);
      const keys = tuples.map(({ user, relation, object }) => ({ user, relation, object }));
      if (keys.length > 0) await write('deleteTuples', { deletes: keys }, options.signal);
    },

    filterDocuments<Doc>(documents: readonly Doc[], options: FilterDocumentsOptions<Doc>) {
      return filterDocuments(core, memoFor(), documents, options);
    },

    retrieveDocuments<Doc>(options: RetrieveDocumentsOptions<Doc>) {
      return retrieveDocuments(core, memoFor(), options);
    },

    guard<Args>(options: FgaGuardOptions<Args>) {
      return fgaGuard(core, memoFor, options, known('fga.guard'));
    },

    authorizedTools<Tool>(
      session: AgentSession,
      tools: readonly Tool[],
      options: AuthorizedToolsOptions<Tool>,
    ) {
      return authorizedTools(core, memoFor(), session, tools, options, known('authorizedTools'));
    },

    forTurn() {
      return authorizer(core, turns, new TurnMemo());
    },

    runTurn<T>(fn: () => T): T {
      if (typeof fn !== 'function') throw new TypeError('fga.runTurn: fn must be a function');
      return turns.run(new TurnMemo(), fn);
    },

    userOf(session: AgentSession) {
      return core.userOf(session);
    },
  });
}
