import { AsyncLocalStorage } from 'node:async_hooks';
import { type AgentSession, assertKnownOptions, GateDenied, isAgentSession } from '@agentgate/core';
import type { AllowedObjects, FgaAuthorizer, FilterStrategy } from '@agentgate/fga';
import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import type { DocumentInterface } from '@langchain/core/documents';
import { BaseRetriever, type BaseRetrieverInput } from '@langchain/core/retrievers';
import { ensureConfig, type RunnableConfig } from '@langchain/core/runnables';
import { sessionOfRun } from './session';

/** Options of {@link FgaRetriever}. */
export interface FgaRetrieverOptions<Doc extends DocumentInterface = DocumentInterface>
  extends BaseRetrieverInput {
  /** The retriever to filter: a vector store's (`vectorStore.asRetriever()`) or any other. */
  retriever: RetrieverLike<Doc>;
  fga: FgaAuthorizer;
  /** The relation the user needs on a document, e.g. `'viewer'`. */
  relation: string;
  /** The FGA object of a document, `type:id`, e.g. `doc => \`doc:${doc.metadata.id}\``. Without one it is dropped. */
  object: (document: Doc) => string;
  /** `post` (batch check), `pre` (list what the user may see), or `adaptive` (by cost). @default 'adaptive' */
  strategy?: FilterStrategy;
  /**
   * How many authorized documents to return, refilling from the retriever until there are `k` (or `maxRounds`).
   * @default the vector store retriever's `k`; for another retriever, every authorized document of one call
   */
  k?: number;
  /** The FGA type of the documents (`'doc'`): required when refilling (a vector store retriever, or `k`). */
  type?: string;
  /**
   * The vector store's metadata filter for the allowed set, used in `pre` rounds so the store returns only what the
   * user may see: e.g. `allowed => ({ id: { $in: [...allowed.ids] } })`, or a function filter for an in-memory store.
   * Without it, `pre` rounds filter after the search. It replaces the inner retriever's own filter in those rounds:
   * include any condition of that filter (a tenant, say) in what it returns.
   */
  filter?: (allowed: AllowedObjects) => unknown;
  /** Rounds of retrieve + authorize at most. @default 4 */
  maxRounds?: number;
  /** The first round fetches `ceil(k × overFetch)` candidates. @default 2 */
  overFetch?: number;
}

/** What the FGA retriever needs of the retriever it wraps: any `BaseRetriever` (or runnable from query to documents). */
export interface RetrieverLike<Doc extends DocumentInterface = DocumentInterface> {
  invoke(query: string, options?: RunnableConfig): Promise<Doc[]>;
}

interface VectorStoreRetrieverLike {
  k: number;
  filter?: unknown;
  searchType?: string;
  searchKwargs?: unknown;
  vectorStore: {
    asRetriever(fields: Record<string, unknown>): {
      invoke(query: string, options?: unknown): Promise<DocumentInterface[]>;
    };
  };
}

const OPTIONS = [
  'retriever',
  'fga',
  'relation',
  'object',
  'strategy',
  'k',
  'type',
  'filter',
  'maxRounds',
  'overFetch',
  'callbacks',
  'tags',
  'metadata',
  'verbose',
];

/**
 * A retriever that returns only the documents the run's user may see, filtered by OpenFGA before anything reaches the
 * model. The inner retriever runs as a child run (its callbacks and tracing are kept); the user comes from the run
 * (`configurable.agentgateSession`, `context`, or `runWithSession`), never from the query.
 *
 * @example
 * const docs = new FgaRetriever({ retriever: vectorStore.asRetriever(4), fga, relation: 'viewer', type: 'doc',
 *   object: (doc) => `doc:${doc.metadata.id}`, filter: (allowed) => (doc) => allowed.ids.has(doc.metadata.id) });
 * const found = await docs.invoke('refund policy', sessionConfig(session));
 * @throws TypeError for a missing or malformed option (at construction)
 * @throws GateDenied `NO_SESSION` without a session; `FgaRequestFailed` (`GUARD_FAILED`) when FGA cannot answer
 */
export class FgaRetriever<Doc extends DocumentInterface = DocumentInterface> extends BaseRetriever {
  static override lc_name(): string {
    return 'FgaRetriever';
  }
  override lc_namespace = ['agentgate', 'retrievers'];
  readonly #options: FgaRetrieverOptions<Doc>;
  readonly #runs = new AsyncLocalStorage<AgentSession | undefined>();

  constructor(options: FgaRetrieverOptions<Doc>) {
    const where = 'FgaRetriever';
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`${where}: options must be an object`);
    // Only LangChain's own fields go to the base (and into serialized run inputs): never the authorizer.
    const { callbacks, tags, metadata, verbose } = options;
    super({ callbacks, tags, metadata, verbose });
    assertKnownOptions(where, options, OPTIONS);
    if (typeof options.retriever?.invoke !== 'function')
      throw new TypeError(`${where}: retriever must be a LangChain retriever`);
    if (typeof options.fga?.retrieveDocuments !== 'function') {
      throw new TypeError(`${where}: fga must be createFgaAuthorizer()'s result`);
    }
    if (typeof options.object !== 'function')
      throw new TypeError(`${where}: object must be a function of the document`);
    if (options.filter !== undefined && typeof options.filter !== 'function') {
      throw new TypeError(`${where}: filter must be a function of the allowed set`);
    }
    if (options.k !== undefined && !(Number.isInteger(options.k) && options.k > 0)) {
      throw new TypeError(`${where}: k must be a positive integer`);
    }
    if ((options.k !== undefined || vectorStoreOf(options.retriever)) && typeof options.type !== 'string') {
      throw new TypeError(
        `${where}: type (the FGA type of the documents, e.g. 'doc') is required to refill to k`,
      );
    }
    this.#options = options;
  }

  /** Runs the retrieval for the user of this run (read from `options` here: `_getRelevantDocuments` is not given it). */
  override async invoke(input: string, options?: RunnableConfig): Promise<Doc[]> {
    const session = sessionOfRun(ensureConfig(options));
    return this.#runs.run(session, () => super.invoke(input, options)) as Promise<Doc[]>;
  }

  override async _getRelevantDocuments(
    query: string,
    runManager?: CallbackManagerForRetrieverRun,
  ): Promise<Doc[]> {
    const session = this.#runs.getStore();
    if (!session)
      throw new GateDenied(
        'NO_SESSION',
        'no session for FgaRetriever: pass sessionConfig(session) to invoke',
      );
    if (!isAgentSession(session)) {
      throw new GateDenied(
        'NO_SESSION',
        'the session of the FgaRetriever run is malformed (see isAgentSession)',
      );
    }
    const { retriever, fga, relation, object, strategy, type, filter, maxRounds, overFetch } = this.#options;
    const child = { callbacks: runManager?.getChild() };
    const store = vectorStoreOf(retriever);
    const k = this.#options.k ?? store?.k;
    if (k === undefined) {
      const candidates = await retriever.invoke(query, child);
      const result = await fga.filterDocuments(candidates, {
        session,
        relation,
        object,
        ...(strategy ? { strategy } : {}),
        name: 'FgaRetriever',
      });
      if (!result.success) throw result.error;
      return result.documents;
    }
    let ranked: Promise<Doc[]> | undefined;
    const result = await fga.retrieveDocuments<Doc>({
      session,
      relation,
      object,
      type: type as string,
      k,
      ...(strategy ? { strategy } : {}),
      ...(maxRounds ? { maxRounds } : {}),
      ...(overFetch ? { overFetch } : {}),
      name: 'FgaRetriever',
      fetch: async ({ offset, limit, allowed }) => {
        if (!store) {
          // One ranked list of the retriever's own length: later rounds read further down it.
          ranked ??= retriever.invoke(query, child);
          const list = await ranked;
          return list.slice(offset, offset + limit);
        }
        const round = store.vectorStore.asRetriever({
          k: offset + limit,
          filter: allowed && filter ? filter(allowed) : store.filter,
          ...(store.searchType ? { searchType: store.searchType } : {}),
          ...(store.searchKwargs ? { searchKwargs: store.searchKwargs } : {}),
          tags: (retriever as { tags?: string[] }).tags,
          metadata: (retriever as { metadata?: Record<string, unknown> }).metadata,
        });
        return ((await round.invoke(query, child)) as Doc[]).slice(offset);
      },
    });
    if (!result.success) throw result.error;
    return result.documents;
  }
}

function vectorStoreOf(retriever: unknown): VectorStoreRetrieverLike | undefined {
  const candidate = retriever as Partial<VectorStoreRetrieverLike> | undefined;
  return typeof candidate?.vectorStore?.asRetriever === 'function' && typeof candidate.k === 'number'
    ? (candidate as VectorStoreRetrieverLike)
    : undefined;
}
