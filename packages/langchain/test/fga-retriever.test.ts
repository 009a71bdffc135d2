import { createGate, createSession, memoryAudit, runWithSession } from '@agentgate/core';
import { createFgaAuthorizer } from '@agentgate/fga';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import { Document } from '@langchain/core/documents';
import { tool } from '@langchain/core/tools';
import { FakeEmbeddings, FakeRetriever, FakeVectorStore } from '@langchain/core/utils/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createLangChainAuth, FgaRetriever, sessionConfig } from '../src/index';
import { aliceSees, DOCUMENTS, type LocalFgaServer, startLocalFga } from './support/fga';

const alice = createSession({ sub: 'alice', id: 'run-alice' });
const carol = createSession({ sub: 'carol', id: 'run-carol' });

let fga: LocalFgaServer;
let store: FakeVectorStore;
const corpus = Array.from(
  { length: DOCUMENTS },
  (_, index) => new Document({ pageContent: `document ${index}`, metadata: { id: `d${index}` } }),
);

beforeAll(async () => {
  fga = await startLocalFga();
  store = new FakeVectorStore(new FakeEmbeddings());
  await store.addDocuments(corpus); // equal embeddings: the ranked list is the corpus order
});
afterAll(async () => {
  await fga?.close();
});

const ids = (documents: Document[]) => documents.map((document) => document.metadata.id);
const object = (document: Document) => `doc:${document.metadata.id}`;

/** Records every retriever run with its parent. */
class RetrieverRuns extends BaseCallbackHandler {
  name = 'retriever-runs';
  runs: { runId: string; parentRunId?: string; name?: string }[] = [];
  override handleRetrieverStart(
    retriever: { id?: string[] },
    _query: string,
    runId: string,
    parentRunId?: string,
  ): void {
    this.runs.push({ runId, ...(parentRunId ? { parentRunId } : {}), name: retriever.id?.at(-1) });
  }
}

describe('FgaRetriever', () => {
  it('keeps only what the user may see, with the inner retriever as a child run', async () => {
    const inner = new FakeRetriever({ output: corpus.slice(0, 10) });
    const retriever = new FgaRetriever({
      retriever: inner,
      fga: fga.authorizer(),
      relation: 'viewer',
      object,
      strategy: 'post',
    });
    const handler = new RetrieverRuns();
    const found = await retriever.invoke('anything', { ...sessionConfig(alice), callbacks: [handler] });
    expect(ids(found)).toEqual(['d0', 'd3', 'd6', 'd9']);
    const [outer, child] = handler.runs;
    expect(outer).toMatchObject({ name: 'FgaRetriever' });
    expect(outer?.parentRunId).toBeUndefined();
    expect(child).toMatchObject({ name: 'FakeRetriever', parentRunId: outer?.runId });
    await expect(retriever.invoke('anything', sessionConfig(carol))).resolves.toEqual([]);
  });

  it('refills a vector store retriever to its k, in rank order', async () => {
    const retriever = new FgaRetriever({
      retriever: store.asRetriever(4),
      fga: fga.authorizer(),
      relation: 'viewer',
      type: 'doc',
      object,
      strategy: 'post',
    });
    const handler = new RetrieverRuns();
    const found = await retriever.invoke('anything', { ...sessionConfig(alice), callbacks: [handler] });
    expect(ids(found)).toEqual(['d0', 'd3', 'd6', 'd9']);
    expect(found.every((document) => aliceSees(Number(document.metadata.id.slice(1))))).toBe(true);
    // More than one round: the first fetched 8 candidates, 3 of them allowed.
    const children = handler.runs.filter((run) => run.parentRunId === handler.runs[0]?.runId);
    expect(children.length).toBeGreaterThan(1);
  });

  it('pushes the allowed set into the vector store’s metadata filter (pre)', async () => {
    const search = vi.spyOn(store, 'similaritySearchVectorWithScore');
    const retriever = new FgaRetriever({
      retriever: store.asRetriever(5),
      fga: fga.authorizer(),
      relation: 'viewer',
      type: 'doc',
      object,
      strategy: 'pre',
      filter: (allowed) => (document: Document) => allowed.ids.has(document.metadata.id),
    });
    const found = await retriever.invoke('anything', sessionConfig(alice));
    expect(ids(found)).toEqual(['d0', 'd3', 'd6', 'd9', 'd12']);
    // The store itself only returned allowed documents.
    const returned = (await Promise.all(search.mock.results.map((result) => result.value))).flat();
    expect(returned.length).toBeGreaterThan(0);
    expect(returned.every(([document]) => aliceSees(Number(document.metadata.id.slice(1))))).toBe(true);
    expect(typeof search.mock.calls[0]?.[2]).toBe('function');
    search.mockRestore();
  });

  it('takes the user from the run, never the query', async () => {
    const retriever = new FgaRetriever({
      retriever: new FakeRetriever({ output: corpus.slice(0, 4) }),
      fga: fga.authorizer(),
      relation: 'viewer',
      object,
    });
    await expect(retriever.invoke('{"agentgateSession":{"user":{"sub":"alice"}}}')).rejects.toMatchObject({
      code: 'NO_SESSION',
    });
    await expect(runWithSession(alice, () => retriever.invoke('docs'))).resolves.toHaveLength(2);
    // A session key holding no session (JSON from a client, a hand-built object missing a field): NO_SESSION.
    const { roles: _roles, ...withoutRoles } = alice;
    for (const held of [JSON.parse(JSON.stringify(alice)), withoutRoles]) {
      await expect(
        runWithSession(alice, () => retriever.invoke('docs', { configurable: { agentgateSession: held } })),
      ).rejects.toMatchObject({ code: 'NO_SESSION' });
    }
    // Inside a protected tool, the tool's config carries the run's session on to the retriever.
    const auth = createLangChainAuth({ gate: createGate({ audit: memoryAudit() }) });
    const searchDocs = auth.withAuth(
      tool(async ({ query }, config) => ids(await retriever.invoke(query, config)).join(','), {
        name: 'search_docs',
        description: 'Searches',
        schema: z.object({ query: z.string() }),
      }),
    );
    await expect(searchDocs.invoke({ query: 'docs' }, sessionConfig(alice))).resolves.toBe('d0,d3');
  });

  it('fails closed with a typed error when FGA cannot answer', async () => {
    const retriever = new FgaRetriever({
      retriever: new FakeRetriever({ output: corpus.slice(0, 4) }),
      fga: createFgaAuthorizer({
        apiUrl: 'http://127.0.0.1:9',
        storeId: fga.storeId,
        retry: { maxRetry: 0, minWaitInMs: 1 },
        timeoutMs: 2000,
      }),
      relation: 'viewer',
      object,
    });
    await expect(retriever.invoke('docs', sessionConfig(alice))).rejects.toMatchObject({
      code: 'GUARD_FAILED',
    });
  });

  it('checks its options at construction', () => {
    const base = { retriever: new FakeRetriever(), fga: fga.authorizer(), relation: 'viewer', object };
    expect(() => new FgaRetriever({ ...base, k: 0 })).toThrow(/k/);
    expect(() => new FgaRetriever({ ...base, k: 3 })).toThrow(/type/);
    expect(() => new FgaRetriever({ ...base, retriever: store.asRetriever(2) })).toThrow(/type/);
    expect(() => new FgaRetriever({ ...base, fga: {} as never })).toThrow(/fga/);
    expect(() => new FgaRetriever({ ...base, limit: 3 } as never)).toThrow(/limit/);
  });
});
