import { memoryAudit } from '@agentgate/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FgaAuthorizer, FilterStrategy } from '../src';
import { aliceSees, bobSees, type SeededFga, startSeededFga } from './support/fga-server';
import {
  alice,
  bob,
  carol,
  corpus,
  type Doc,
  localAuthorizer,
  objectOfDoc,
  serverAuthorizer,
} from './support/fixtures';
import { type CountingProxy, startCountingProxy } from './support/proxy';

let fga: SeededFga;
let proxy: CountingProxy;

beforeAll(async () => {
  fga = await startSeededFga();
  proxy = await startCountingProxy(fga.server.apiUrl);
});
afterAll(async () => {
  await proxy?.close();
  await fga?.close();
});
beforeEach(() => proxy.reset());

const backends: [string, () => FgaAuthorizer][] = [
  ['server', () => serverAuthorizer(fga, proxy.url, { listObjectsMaxResults: Number.POSITIVE_INFINITY })],
  ['in-process', () => localAuthorizer(fga)],
];
const strategies: FilterStrategy[] = ['post', 'pre', 'adaptive'];

/** A shuffled candidate list, as a retriever ranks them (deterministic). */
const shuffled = corpus
  .map((doc, index) => ({ doc, rank: (index * 7919) % corpus.length }))
  .sort((a, b) => a.rank - b.rank)
  .map(({ doc }) => doc);
const indexOf = (doc: Doc) => Number(doc.id.slice(1));

describe.each(backends)('filterDocuments (%s)', (_name, make) => {
  it.each(strategies)('%s keeps exactly what the user may see, in input order', async (strategy) => {
    for (const [session, sees] of [
      [alice, aliceSees],
      [bob, bobSees],
    ] as const) {
      const result = await make().filterDocuments(shuffled, {
        session,
        relation: 'viewer',
        object: objectOfDoc,
        strategy,
      });
      expect(result.success).toBe(true);
      expect(result.documents).toEqual(shuffled.filter((doc) => sees(indexOf(doc))));
    }
  });

  it('returns the same set whichever strategy, for small and large candidate lists', async () => {
    for (const size of [10, 120, 1000]) {
      const candidates = shuffled.slice(0, size);
      const sets = await Promise.all(
        strategies.map(async (strategy) => {
          const result = await make().filterDocuments(candidates, {
            session: alice,
            relation: 'viewer',
            object: objectOfDoc,
            strategy,
          });
          return result.documents.map((doc) => doc.id);
        }),
      );
      expect(sets[1]).toEqual(sets[0]);
      expect(sets[2]).toEqual(sets[0]);
    }
  });

  it('drops documents without a valid object, and one whose object() throws', async () => {
    const documents = [
      { id: 'd2', text: '' },
      { id: '', text: 'no id' },
      { id: 'd4', text: '' },
    ];
    const result = await make().filterDocuments(documents, {
      session: alice,
      relation: 'viewer',
      object: (doc) => {
        if (doc.text === 'no id') throw new Error('no id');
        return objectOfDoc(doc);
      },
    });
    expect(result.documents.map((doc) => doc.id)).toEqual(['d2', 'd4']);
    expect(result.stats).toMatchObject({ candidates: 3, allowed: 2, removed: 1, invalid: 1 });
  });

  it.each(strategies)(
    '%s drops a document whose object the server cannot answer for, not the whole filter',
    async (strategy) => {
      const documents = [
        { id: 'd2', type: 'doc' },
        { id: 'merger-plan', type: 'acquisition' }, // no such type in the model
        { id: 'd4', type: 'doc' },
      ];
      const result = await make().filterDocuments(documents, {
        session: alice,
        relation: 'viewer',
        object: (doc) => `${doc.type}:${doc.id}`,
        strategy,
      });
      expect(result.success).toBe(true);
      expect(result.documents.map((doc) => doc.id)).toEqual(['d2', 'd4']);
      expect(result.stats).toMatchObject({ candidates: 3, allowed: 2, itemErrors: 1 });
    },
  );

  it('drops an object with whitespace or control characters before asking', async () => {
    const result = await make().filterDocuments(
      ['d2', 'Q3 layoffs plan.pdf', 'd4\u0000', 'd\u200b6', 'd8'].map((id) => ({ id, text: '' })),
      { session: alice, relation: 'viewer', object: objectOfDoc, strategy: 'post' },
    );
    expect(result.success).toBe(true);
    expect(result.documents.map((doc) => doc.id)).toEqual(['d2', 'd8']);
    expect(result.stats.invalid).toBe(3);
    await expect(
      make().check({ session: alice, relation: 'viewer', object: 'doc:Q3 layoffs plan' }),
    ).rejects.toThrow(TypeError);
  });

  it('checks and returns the documents given, whatever the caller does to its array meanwhile', async () => {
    const documents = [corpus[2]!, corpus[3]!];
    const pending = make().filterDocuments(documents, {
      session: alice,
      relation: 'viewer',
      object: objectOfDoc,
      strategy: 'post',
    });
    documents[0] = corpus[1]!; // not visible to alice
    documents.push(corpus[5]!);
    expect((await pending).documents).toEqual([corpus[2]]);
  });

  it('lets contextual tuples add documents for this question only', async () => {
    const authorizer = make().forTurn();
    const candidates = corpus.slice(0, 20);
    const shared = await authorizer.filterDocuments(candidates, {
      session: carol,
      relation: 'viewer',
      object: objectOfDoc,
      contextualTuples: [{ user: 'user:carol', relation: 'member', object: 'group:staff' }],
    });
    const plain = await authorizer.filterDocuments(candidates, {
      session: carol,
      relation: 'viewer',
      object: objectOfDoc,
    });
    expect(shared.documents.map((doc) => doc.id)).toEqual(
      candidates.filter((doc) => indexOf(doc) % 2 === 0).map((doc) => doc.id),
    );
    expect(plain.documents).toEqual([]);
  });
});

describe('filterDocuments requests', () => {
  it.each(['post', 'adaptive'] as const)(
    '%s: 1,000 candidates take at most ceil(1000 / 50) requests, a repeated question in the turn none',
    async (strategy) => {
      const turn = serverAuthorizer(fga, proxy.url).forTurn();
      const options = { session: alice, relation: 'viewer', object: objectOfDoc, strategy };
      const first = await turn.filterDocuments(corpus, options);
      expect(proxy.total()).toBeLessThanOrEqual(Math.ceil(1000 / 50));
      expect(proxy.total()).toBe(first.stats.requests);
      proxy.reset();
      const again = await turn.filterDocuments(corpus, options);
      expect(proxy.total()).toBe(0);
      expect(again.documents).toEqual(first.documents);
    },
  );

  it('sends exactly ceil(n / batchSize) batch checks with a smaller server limit', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url, { batchSize: 30 });
    await authorizer.filterDocuments(corpus.slice(0, 100), {
      session: bob,
      relation: 'viewer',
      object: objectOfDoc,
      strategy: 'post',
    });
    expect(Object.fromEntries(proxy.counts)).toEqual({ '/batch-check': 4 });
  });

  it('asks a candidate listed twice once', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url);
    const twice = [...corpus.slice(0, 50), ...corpus.slice(0, 50)];
    const result = await authorizer.filterDocuments(twice, {
      session: bob,
      relation: 'viewer',
      object: objectOfDoc,
      strategy: 'post',
    });
    expect(proxy.counts.get('/batch-check')).toBe(1);
    expect(result.stats.questions).toBe(50);
    expect(result.documents).toHaveLength(10);
  });

  it('adaptive learns: after a list, a large candidate set of a user who sees little is one list request', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url, {
      listObjectsMaxResults: Number.POSITIVE_INFINITY,
      listedObjectCost: 1,
    });
    const first = await authorizer.filterDocuments(corpus, {
      session: bob,
      relation: 'viewer',
      object: objectOfDoc,
    });
    expect(first.strategy).toBe('pre'); // 1,000 candidates, nothing known: the list is the probe
    proxy.reset();
    const second = await authorizer.filterDocuments(corpus.slice(0, 300), {
      session: bob,
      relation: 'viewer',
      object: objectOfDoc,
    });
    expect(second.strategy).toBe('pre'); // bob sees 100 ≤ 300 candidates
    expect(proxy.total()).toBe(1);
    proxy.reset();
    const third = await authorizer.filterDocuments(corpus.slice(0, 60), {
      session: bob,
      relation: 'viewer',
      object: objectOfDoc,
    });
    expect(third.strategy).toBe('post'); // 100 visible × cost 1 > 60 candidates
  });

  it('adaptive falls back to checks when the list may have been cut short', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url, { listObjectsMaxResults: 100 });
    const result = await authorizer.filterDocuments(corpus, {
      session: alice,
      relation: 'viewer',
      object: objectOfDoc,
    });
    expect(result.documents).toHaveLength(499);
    const pre = await authorizer.filterDocuments(corpus, {
      session: alice,
      relation: 'viewer',
      object: objectOfDoc,
      strategy: 'pre',
    });
    expect(pre.documents).toEqual(result.documents);
  });
});

describe('filterDocuments audit', () => {
  it('records counts, never a document id or text', async () => {
    const audit = memoryAudit();
    const authorizer = serverAuthorizer(fga, proxy.url, { audit });
    await authorizer.filterDocuments(corpus.slice(0, 100), {
      session: bob,
      relation: 'viewer',
      object: objectOfDoc,
      strategy: 'post',
      name: 'search_docs',
    });
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({
      tool: 'search_docs',
      phase: 'filter',
      outcome: 'allow',
      guard: 'fga(viewer)',
      sub: 'bob',
      sessionId: 'session-bob',
      reason: 'post: 100 candidates, 10 allowed, 90 removed, 2 requests',
    });
    expect(JSON.stringify(audit.events)).not.toMatch(/doc:|"d\d+"|document \d/);
  });
});

describe('filterDocuments failures', () => {
  it('name the strategy that ran in the audit event', async () => {
    proxy.fault = { type: 'status', status: 500 };
    try {
      for (const strategy of strategies) {
        const audit = memoryAudit();
        const authorizer = serverAuthorizer(fga, proxy.url, { audit, retry: { maxRetry: 0 } });
        const result = await authorizer.filterDocuments(corpus.slice(0, 200), {
          session: alice,
          relation: 'viewer',
          object: objectOfDoc,
          strategy,
        });
        const ran = strategy === 'adaptive' ? 'pre' : strategy; // 200 unknown candidates: adaptive probes
        expect(result).toMatchObject({ success: false, strategy: ran });
        expect(audit.events[0]!.reason).toMatch(
          new RegExp(`^${ran}: 200 candidates, .*\\(server_error, status 500\\)$`),
        );
      }
    } finally {
      proxy.fault = { type: 'none' };
    }
  });
});

describe('retrieveDocuments', () => {
  /** A ranked retriever over the shuffled corpus; filters by the allowed set when given one. */
  const retriever =
    (calls: { offset: number; limit: number; filtered: boolean }[]) =>
    ({
      offset,
      limit,
      allowed,
    }: {
      offset: number;
      limit: number;
      allowed?: { objects: ReadonlySet<string> };
    }) => {
      calls.push({ offset, limit, filtered: allowed !== undefined });
      const list = allowed ? shuffled.filter((doc) => allowed.objects.has(objectOfDoc(doc))) : shuffled;
      return list.slice(offset, offset + limit);
    };

  it.each(strategies)('%s refills until k authorized documents, in rank order', async (strategy) => {
    for (const make of [() => serverAuthorizer(fga, proxy.url), () => localAuthorizer(fga)]) {
      const calls: { offset: number; limit: number; filtered: boolean }[] = [];
      const result = await make().retrieveDocuments({
        session: bob,
        relation: 'viewer',
        type: 'doc',
        object: objectOfDoc,
        k: 8,
        fetch: retriever(calls),
        strategy,
      });
      expect(result.success).toBe(true);
      expect(result.documents).toEqual(shuffled.filter((doc) => bobSees(indexOf(doc))).slice(0, 8));
    }
  });

  it('post over-fetches in later rounds by the visible fraction it saw', async () => {
    const calls: { offset: number; limit: number; filtered: boolean }[] = [];
    const result = await serverAuthorizer(fga, proxy.url).retrieveDocuments({
      session: bob,
      relation: 'viewer',
      type: 'doc',
      object: objectOfDoc,
      k: 10,
      fetch: retriever(calls),
      strategy: 'post',
    });
    expect(result.documents).toHaveLength(10);
    expect(calls[0]).toEqual({ offset: 0, limit: 20, filtered: false });
    expect(calls[1]!.offset).toBe(20);
    expect(calls[1]!.limit).toBeGreaterThan(20);
  });

  it('stops at maxRounds when the authorized documents are too rare', async () => {
    const calls: { offset: number; limit: number; filtered: boolean }[] = [];
    const result = await serverAuthorizer(fga, proxy.url).retrieveDocuments({
      session: bob,
      relation: 'viewer',
      type: 'doc',
      object: objectOfDoc,
      k: 50,
      fetch: retriever(calls),
      strategy: 'post',
      maxRounds: 2,
      maxCandidatesPerRound: 40,
    });
    expect(calls).toHaveLength(2);
    expect(result.success).toBe(true);
    expect(result.documents.length).toBeLessThan(50);
    expect(result.documents).toEqual(shuffled.slice(0, 80).filter((doc) => bobSees(indexOf(doc))));
    expect(result.stats.exhausted).toBe(false);
  });

  it('returns every authorized document when there are fewer than k', async () => {
    const calls: { offset: number; limit: number; filtered: boolean }[] = [];
    const result = await localAuthorizer(fga).retrieveDocuments({
      session: bob,
      relation: 'viewer',
      type: 'doc',
      object: objectOfDoc,
      k: 150,
      fetch: retriever(calls),
    });
    expect(result.documents).toHaveLength(100);
    expect(result.stats.exhausted).toBe(true);
  });

  it('adaptive switches to a pre-filter when post rounds find too little', async () => {
    const calls: { offset: number; limit: number; filtered: boolean }[] = [];
    const result = await serverAuthorizer(fga, proxy.url).retrieveDocuments({
      session: bob,
      relation: 'viewer',
      type: 'doc',
      object: objectOfDoc,
      k: 40,
      fetch: retriever(calls),
      maxCandidatesPerRound: 100,
    });
    expect(result.documents).toEqual(shuffled.filter((doc) => bobSees(indexOf(doc))).slice(0, 40));
    expect(result.stats.rounds.map((round) => round.strategy)).toContain('pre');
    expect(calls.at(-1)!.filtered).toBe(true);
  });

  it('filters again when a retriever ignores the allowed set', async () => {
    const result = await localAuthorizer(fga).retrieveDocuments({
      session: bob,
      relation: 'viewer',
      type: 'doc',
      object: objectOfDoc,
      k: 5,
      fetch: ({ offset, limit }) => shuffled.slice(offset, offset + limit),
      strategy: 'pre',
    });
    expect(result.documents).toEqual(shuffled.filter((doc) => bobSees(indexOf(doc))).slice(0, 5));
  });

  it('reports a failing retriever as retriever_failed, its text bounded and kept out of the audit', async () => {
    const audit = memoryAudit();
    const result = await localAuthorizer(fga, { audit }).retrieveDocuments({
      session: alice,
      relation: 'viewer',
      type: 'doc',
      object: objectOfDoc,
      k: 5,
      strategy: 'pre',
      fetch: ({ allowed }) => {
        throw new Error(`vector store: filter too large: ${JSON.stringify([...allowed!.ids])}`);
      },
    });
    expect(result).toMatchObject({
      success: false,
      documents: [],
      error: { code: 'GUARD_FAILED', operation: 'retrieve', reason: 'retriever_failed' },
    });
    expect(result.error!.message).toMatch(
      /^the retriever failed \(retriever_failed\): vector store: filter too large/,
    );
    expect(result.error!.message.length).toBeLessThan(600);
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]!.reason).toMatch(/the retriever failed \(retriever_failed\)$/);
    expect(JSON.stringify(audit.events)).not.toMatch(/vector store|"d\d+"|doc:/);
  });

  it('reports a retriever that returns no array as retriever_failed', async () => {
    const result = await localAuthorizer(fga).retrieveDocuments({
      session: alice,
      relation: 'viewer',
      type: 'doc',
      object: objectOfDoc,
      k: 5,
      fetch: () => ({ hits: [] }) as never,
    });
    expect(result).toMatchObject({ success: false, error: { reason: 'retriever_failed' } });
  });
});
