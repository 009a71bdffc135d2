import { createGate, memoryAudit } from '@agentgate/core';
import { CredentialsMethod } from '@openfga/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFgaAuthorizer, type FgaAuthorizer, FgaRequestFailed } from '../src';
import { type SeededFga, startSeededFga } from './support/fga-server';
import { alice, corpus, objectOfDoc, serverAuthorizer } from './support/fixtures';
import { type CountingProxy, deadUrl, type Fault, startCountingProxy } from './support/proxy';

let fga: SeededFga;
let proxy: CountingProxy;
let dead: string;

beforeAll(async () => {
  fga = await startSeededFga();
  proxy = await startCountingProxy(fga.server.apiUrl);
  dead = await deadUrl();
});
afterAll(async () => {
  await proxy?.close();
  await fga?.close();
});
afterEach(() => {
  proxy.fault = { type: 'none' };
  proxy.reset();
});

interface FaultCase {
  name: string;
  fault: Fault | 'down';
  reason: string;
  strategy?: 'post' | 'pre';
}

const rewrite = (rewriteBody: (body: string, path: string) => string): Fault => ({
  type: 'rewrite',
  rewrite: rewriteBody,
});

const cases: FaultCase[] = [
  { name: 'the server is down', fault: 'down', reason: 'unreachable' },
  { name: 'the server does not answer in time', fault: { type: 'hang' }, reason: 'timeout' },
  {
    name: 'the server answers 500 after the retries',
    fault: { type: 'status', status: 500 },
    reason: 'server_error',
  },
  { name: 'the server answers 503', fault: { type: 'status', status: 503 }, reason: 'server_error' },
  { name: 'the server answers 429', fault: { type: 'status', status: 429 }, reason: 'rate_limited' },
  {
    name: 'the server refuses the token (401)',
    fault: { type: 'status', status: 401 },
    reason: 'unauthenticated',
  },
  {
    name: "a batch answer says 'yes' instead of true",
    fault: rewrite((body) => body.replaceAll('"allowed":true', '"allowed":"yes"')),
    reason: 'malformed_response',
    strategy: 'post',
  },
  {
    name: 'a batch answer leaves items out',
    fault: rewrite(() => '{"result":{}}'),
    reason: 'malformed_response',
    strategy: 'post',
  },
  {
    name: 'an answer is not JSON',
    fault: rewrite(() => '<html>proxy error</html>'),
    reason: 'malformed_response',
    strategy: 'post',
  },
  {
    name: 'a list holds an object of another type',
    fault: rewrite(() => '{"objects":["folder:staff-docs"]}'),
    reason: 'malformed_response',
    strategy: 'pre',
  },
  {
    name: 'a list is not a list',
    fault: rewrite(() => '{"objects":"doc:d2"}'),
    reason: 'malformed_response',
    strategy: 'pre',
  },
];

function authorizerFor(fault: Fault | 'down', audit = memoryAudit()): FgaAuthorizer {
  if (fault !== 'down') proxy.fault = fault;
  return serverAuthorizer(fga, fault === 'down' ? dead : proxy.url, { audit, timeoutMs: 300 });
}

describe.each(cases)('when $name', ({ fault, reason, strategy }) => {
  it('filterDocuments returns no documents and the typed error, and records the failure', async () => {
    const audit = memoryAudit();
    const result = await authorizerFor(fault, audit).filterDocuments(corpus.slice(0, 100), {
      session: alice,
      relation: 'viewer',
      object: objectOfDoc,
      strategy: strategy ?? 'post',
    });
    expect(result.success).toBe(false);
    expect(result.documents).toEqual([]);
    expect(FgaRequestFailed.isInstance(result.error)).toBe(true);
    expect(result.error).toMatchObject({ code: 'GUARD_FAILED', reason });
    expect(audit.events).toEqual([
      expect.objectContaining({ phase: 'filter', outcome: 'failed', code: 'GUARD_FAILED', sub: 'alice' }),
    ]);
    expect(audit.events[0]!.reason).toMatch(new RegExp(`\\(${reason}[,)]`));
  });

  it('batchCheck rejects with the typed error and nothing is allowed', async () => {
    const authorizer = authorizerFor(fault);
    const checks = corpus.slice(0, 60).map((doc) => ({ relation: 'viewer', object: objectOfDoc(doc) }));
    const error = await authorizer.batchCheck({ session: alice, checks }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(FgaRequestFailed);
    expect(error).toMatchObject({ code: 'GUARD_FAILED', details: { operation: 'batchCheck', reason } });
  });

  it('a guarded tool does not run', async () => {
    const authorizer = authorizerFor(fault);
    const gateAudit = memoryAudit();
    const gate = createGate({ audit: gateAudit });
    let ran = false;
    const guard = authorizer.guard<{ id: string }>({
      relation: 'viewer',
      object: (args) => `doc:${args.id}`,
    });
    const call = gate.run({ tool: { name: 'read_doc' }, args: { id: 'd2' } }, alice, [guard], () => {
      ran = true;
      return 'contents';
    });
    await expect(call).rejects.toMatchObject({ code: 'GUARD_FAILED', guard: 'fga(viewer)' });
    expect(ran).toBe(false);
    expect(gateAudit.events.find((event) => event.phase === 'guard')).toMatchObject({
      outcome: 'deny',
      code: 'GUARD_FAILED',
    });
  });
});

describe('failure causes', () => {
  it('keep no response body and no credential', async () => {
    proxy.fault = { type: 'status', status: 500 };
    const authorizer = createFgaAuthorizerWithToken();
    const error = (await authorizer
      .check({ session: alice, relation: 'viewer', object: 'doc:d2' })
      .catch((thrown: unknown) => thrown)) as FgaRequestFailed;
    expect(error.reason).toBe('server_error');
    expect(error.status).toBe(500);
    const chain = JSON.stringify(
      (function collect(value: unknown, depth = 0): unknown[] {
        if (!(value instanceof Error) || depth > 6) return [];
        return [{ ...value, message: value.message }, ...collect(value.cause, depth + 1)];
      })(error),
    );
    expect(chain).not.toContain('secret-api-token');
    expect(chain).not.toContain('"code":"internal_error"'); // the raw body
    expect(chain).not.toMatch(/responseData|requestData|authorization/i);
    expect(proxy.total()).toBe(2); // the SDK retried once (retry.maxRetry = 1)
  });

  it('an abort by the caller is its own reason', async () => {
    proxy.fault = { type: 'hang' };
    const controller = new AbortController();
    const authorizer = serverAuthorizer(fga, proxy.url);
    const pending = authorizer.check({
      session: alice,
      relation: 'viewer',
      object: 'doc:d2',
      signal: controller.signal,
    });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'GUARD_FAILED', reason: 'aborted' });
  });
});

describe("what a failure keeps of the server's text", () => {
  const token = 'k9F2mQ7xLp3Zr8Tw-api-token';
  const clientSecret = 'cs-7Hq2Lw9Xp4Vn8Rt';

  it('keeps no object id and no server text in the audit event, and no credential anywhere', async () => {
    const audit = memoryAudit();
    proxy.fault = {
      type: 'status',
      status: 400,
      message: `unknown api key '${token}' asking about doc:secret-board-memo ${'x'.repeat(2000)}`,
    };
    const authorizer = createFgaAuthorizer({
      apiUrl: proxy.url,
      storeId: fga.storeId,
      credentials: { method: CredentialsMethod.ApiToken, config: { token } },
      retry: { maxRetry: 0 },
      audit,
    });
    const error = (await authorizer
      .check({ session: alice, relation: 'viewer', object: 'doc:secret-board-memo' })
      .catch((thrown: unknown) => thrown)) as FgaRequestFailed;
    expect(error).toMatchObject({ code: 'GUARD_FAILED', reason: 'rejected', status: 400 });
    expect(error.message.length).toBeLessThan(600);
    expect(JSON.stringify(chainOf(error))).not.toContain(token);
    expect(audit.events).toEqual([
      expect.objectContaining({
        tool: 'fga.check',
        outcome: 'failed',
        reason: 'FGA check failed (rejected, status 400)',
      }),
    ]);
  });

  it('masks the client secret wherever a server echoes it', async () => {
    proxy.fault = { type: 'hold' };
    const authorizer = createFgaAuthorizer({
      apiUrl: proxy.url,
      storeId: fga.storeId,
      credentials: {
        method: CredentialsMethod.ClientCredentials,
        config: { clientId: 'agent', clientSecret, apiTokenIssuer: proxy.url, apiAudience: 'fga' },
      },
      retry: { maxRetry: 0 },
    });
    const pending = authorizer
      .check({ session: alice, relation: 'viewer', object: 'doc:d2' })
      .catch((thrown: unknown) => thrown);
    await proxy.waitForHeld(1);
    expect(proxy.held[0]!.path).toBe('/oauth/token');
    proxy.held[0]!.respond(200, { access_token: 'issued-access-token', expires_in: 3600 });
    await proxy.waitForHeld(2);
    proxy.held[1]!.respond(400, {
      code: 'validation_error',
      message: `this store takes no client secret such as ${clientSecret}`,
    });
    const error = (await pending) as FgaRequestFailed;
    expect(error).toMatchObject({ code: 'GUARD_FAILED', reason: 'rejected' });
    expect(error.message).toContain('[redacted]');
    expect(JSON.stringify(chainOf(error))).not.toContain(clientSecret);
  });
});

/** The error and its causes as plain objects, message and stack included. */
function chainOf(error: unknown, depth = 0): unknown[] {
  if (!(error instanceof Error) || depth > 6) return [];
  return [{ ...error, message: error.message, stack: error.stack }, ...chainOf(error.cause, depth + 1)];
}

function createFgaAuthorizerWithToken(): FgaAuthorizer {
  return createFgaAuthorizer({
    apiUrl: proxy.url,
    storeId: fga.storeId,
    credentials: { method: CredentialsMethod.ApiToken, config: { token: 'secret-api-token' } },
    retry: { maxRetry: 1, minWaitInMs: 1 },
  });
}
