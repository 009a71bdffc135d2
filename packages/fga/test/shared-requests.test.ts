import { memoryAudit } from '@agentgate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FgaRequestFailed } from '../src';
import { type SeededFga, startSeededFga } from './support/fga-server';
import { alice, corpus, objectOfDoc, serverAuthorizer } from './support/fixtures';
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
afterEach(() => {
  vi.useRealTimers();
  proxy.fault = { type: 'none' };
  proxy.reset();
});

const post = { session: alice, relation: 'viewer', object: objectOfDoc, strategy: 'post' } as const;
const ids = (body: string): string[] =>
  (JSON.parse(body) as { checks: { correlation_id: string }[] }).checks.map((check) => check.correlation_id);

describe('questions shared within a turn', () => {
  it("a caller's abort leaves no unhandled rejection of the answers it was waiting for", async () => {
    // Filter A asks doc:d2; filter B waits for A's doc:d2 and asks doc:d4 itself; B's caller aborts first.
    proxy.fault = { type: 'hold' };
    const authorizer = serverAuthorizer(fga, proxy.url, { retry: { maxRetry: 0 } });
    const controller = new AbortController();
    await authorizer.runTurn(async () => {
      const a = authorizer.filterDocuments([corpus[2]!], post);
      const b = authorizer.filterDocuments([corpus[2]!, corpus[4]!], { ...post, signal: controller.signal });
      await proxy.waitForHeld(2);
      controller.abort();
      await expect(b).resolves.toMatchObject({ success: false, error: { reason: 'aborted' } });
      // Both requests now fail: without a handler on B's waiting answers this would be an unhandled rejection.
      for (const request of proxy.held) request.fail(500);
      await expect(a).resolves.toMatchObject({ success: false, error: { reason: 'server_error' } });
    });
  });

  it('a failure of its own request leaves no unhandled rejection of the answers it was waiting for', async () => {
    proxy.fault = { type: 'hold' };
    const authorizer = serverAuthorizer(fga, proxy.url, { retry: { maxRetry: 0 } });
    await authorizer.runTurn(async () => {
      const a = authorizer.filterDocuments([corpus[1]!, corpus[3]!], post);
      const b = authorizer.filterDocuments([corpus[1]!, corpus[2]!], post);
      await proxy.waitForHeld(2);
      proxy.held[1]!.fail(500); // B's own request fails while it still waits for A's
      await expect(b).resolves.toMatchObject({ success: false, error: { reason: 'server_error' } });
      proxy.held[0]!.fail(503);
      await expect(a).resolves.toMatchObject({ success: false, error: { reason: 'server_error' } });
    });
  });

  it("one caller's abort does not fail another caller waiting for the same request", async () => {
    proxy.fault = { type: 'hold' };
    const authorizer = serverAuthorizer(fga, proxy.url);
    const controller = new AbortController();
    const documents = corpus.slice(0, 10);
    await authorizer.runTurn(async () => {
      const a = authorizer.filterDocuments(documents, { ...post, signal: controller.signal });
      const b = authorizer.filterDocuments(documents, post); // every answer from A's request
      await proxy.waitForHeld(1);
      controller.abort();
      await expect(a).resolves.toMatchObject({ success: false, error: { reason: 'aborted' } });
      proxy.held[0]!.forward();
      const result = await b;
      expect(result.success).toBe(true);
      expect(result.documents.map((doc) => doc.id)).toEqual(['d2', 'd4', 'd6', 'd8']);
    });
    expect(proxy.total()).toBe(1);
  });

  it('outside a turn, an abort cancels the request and sends no further chunk', async () => {
    proxy.fault = { type: 'hold' };
    const authorizer = serverAuthorizer(fga, proxy.url, { maxParallelRequests: 1 });
    const controller = new AbortController();
    const pending = authorizer.filterDocuments(corpus.slice(0, 150), { ...post, signal: controller.signal });
    await proxy.waitForHeld(1);
    controller.abort();
    await expect(pending).resolves.toMatchObject({ success: false, error: { reason: 'aborted' } });
    proxy.held[0]!.forward();
    expect(proxy.held).toHaveLength(1);
  });

  it('an aborted signal is refused also when every answer is cached', async () => {
    const authorizer = serverAuthorizer(fga, proxy.url, { cache: { ttlSeconds: 60 } });
    await authorizer.filterDocuments(corpus.slice(0, 10), post);
    await authorizer.check({ session: alice, relation: 'viewer', object: 'doc:d2' });
    proxy.reset();
    const signal = AbortSignal.abort();
    await expect(authorizer.filterDocuments(corpus.slice(0, 10), { ...post, signal })).resolves.toMatchObject(
      {
        success: false,
        documents: [],
        error: { reason: 'aborted' },
      },
    );
    await expect(
      authorizer.check({ session: alice, relation: 'viewer', object: 'doc:d2', signal }),
    ).rejects.toMatchObject({ code: 'GUARD_FAILED', reason: 'aborted' });
    expect(proxy.total()).toBe(0);
  });
});

describe('the deadline', () => {
  it('counts per request: many chunks in a row do not time out as a whole', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    proxy.fault = { type: 'hold' };
    const authorizer = serverAuthorizer(fga, proxy.url, { timeoutMs: 1000, maxParallelRequests: 1 });
    const pending = authorizer.filterDocuments(corpus.slice(0, 150), post); // three chunks, one at a time
    for (let chunk = 1; chunk <= 3; chunk++) {
      await proxy.waitForHeld(chunk);
      await vi.advanceTimersByTimeAsync(800); // 2,400 ms in all, 800 ms each
      proxy.held[chunk - 1]!.forward();
    }
    const result = await pending;
    expect(result.success).toBe(true);
    expect(result.stats.requests).toBe(3);
  });

  it('still times out one request that takes too long', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    proxy.fault = { type: 'hold' };
    const authorizer = serverAuthorizer(fga, proxy.url, { timeoutMs: 1000, maxParallelRequests: 1 });
    const pending = authorizer.filterDocuments(corpus.slice(0, 150), post);
    await proxy.waitForHeld(1);
    proxy.held[0]!.forward();
    await proxy.waitForHeld(2);
    await vi.advanceTimersByTimeAsync(1001);
    await expect(pending).resolves.toMatchObject({ success: false, error: { reason: 'timeout' } });
    expect(proxy.held).toHaveLength(2); // the third chunk is never sent
  });
});

describe('batch answers', () => {
  const cases: [string, (answer: { result: Record<string, unknown> }, sent: string[]) => void][] = [
    [
      'answers one chunk with the ids of another',
      (answer, sent) => {
        // The first chunk (0–49) also "answers" 50–99 as allowed; the second answers only its even ids.
        if (sent.includes('0'))
          for (let id = 50; id < 100; id++) answer.result[String(id)] = { allowed: true };
        else for (const id of sent) if (Number(id) % 2 === 1) delete answer.result[id];
      },
    ],
    [
      'adds an id nobody asked for',
      (answer) => {
        answer.result['9999'] = { allowed: true };
      },
    ],
    [
      "leaves 'allowed' out",
      (answer) => {
        for (const id of Object.keys(answer.result)) answer.result[id] = {};
      },
    ],
    [
      "says 'allowed': null",
      (answer) => {
        for (const id of Object.keys(answer.result)) answer.result[id] = { allowed: null };
      },
    ],
  ];

  it.each(cases)('a server that %s allows nothing (malformed_response)', async (_name, change) => {
    proxy.fault = {
      type: 'rewrite',
      rewrite: (body, path, request) => {
        if (path !== '/batch-check') return body;
        const answer = JSON.parse(body) as { result: Record<string, unknown> };
        change(answer, ids(request));
        return JSON.stringify(answer);
      },
    };
    const audit = memoryAudit();
    const result = await serverAuthorizer(fga, proxy.url, { audit }).filterDocuments(
      corpus.slice(0, 100),
      post,
    );
    expect(result).toMatchObject({ success: false, documents: [], error: { reason: 'malformed_response' } });
    expect(FgaRequestFailed.isInstance(result.error)).toBe(true);
    expect(audit.events[0]!.reason).toMatch(/^post: 100 candidates, .*\(malformed_response\)$/);
  });

  it('sends correlation ids unique across the chunks of one operation', async () => {
    const sent: string[][] = [];
    proxy.fault = {
      type: 'rewrite',
      rewrite: (body, path, request) => {
        if (path === '/batch-check') sent.push(ids(request));
        return body;
      },
    };
    await serverAuthorizer(fga, proxy.url).filterDocuments(corpus.slice(0, 120), post);
    expect(sent).toHaveLength(3);
    expect(new Set(sent.flat()).size).toBe(120);
  });
});
