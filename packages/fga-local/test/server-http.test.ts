import { request as httpRequest } from 'node:http';
import {
  CredentialsMethod,
  FgaApiAuthenticationError,
  FgaApiError,
  FgaApiValidationError,
  OpenFgaClient,
} from '@openfga/sdk';
import { transformer } from '@openfga/syntax-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenFgaServer, startOpenFgaServer } from '../src/index';

const model = transformer.transformDSLToJSONObject(`model
  schema 1.1
type user
type document
  relations
    define viewer: [user]`) as unknown as Parameters<OpenFgaClient['writeAuthorizationModel']>[0];

const noRetry = { maxRetry: 0, minWaitInMs: 0 };

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as { code: string; message: string } };
}

describe('startOpenFgaServer: errors on the wire', () => {
  let server: OpenFgaServer;
  let fga: OpenFgaClient;
  let storeId: string;

  beforeAll(async () => {
    server = await startOpenFgaServer({ limits: { maxBodyBytes: 64 * 1024 } });
    storeId = (await new OpenFgaClient({ apiUrl: server.apiUrl }).createStore({ name: 'errors' })).id;
    fga = new OpenFgaClient({ apiUrl: server.apiUrl, storeId, retryParams: noRetry });
    await fga.writeAuthorizationModel(model);
  });
  afterAll(() => server.close());

  it('answers malformed JSON with 400 validation_error', async () => {
    const response = await post(`${server.apiUrl}/stores/${storeId}/check`, '{"tuple_key": ');
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_error' } });
    expect(response.body.message).toContain('malformed JSON');
  });

  it('answers a JSON body that is not an object with 400 validation_error', async () => {
    const response = await post(`${server.apiUrl}/stores/${storeId}/check`, '[1, 2]');
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_error' } });
  });

  it('refuses a body that is not sent as application/json (no write from a cross-site text/plain post)', async () => {
    const tuple = { user: 'user:mallory', relation: 'viewer', object: 'document:1' };
    const response = await post(
      `${server.apiUrl}/stores/${storeId}/write`,
      JSON.stringify({ writes: { tuple_keys: [tuple] } }),
      { 'content-type': 'text/plain' },
    );
    expect(response).toMatchObject({ status: 415, body: { code: 'validation_error' } });
    const { tuples } = await fga.read({ object: 'document:1' });
    expect(tuples).toEqual([]);
  });

  it('refuses a body over the size limit with 413', async () => {
    const response = await post(
      `${server.apiUrl}/stores/${storeId}/write`,
      `{"pad":"${'x'.repeat(70_000)}"}`,
    );
    expect(response).toMatchObject({ status: 413, body: { code: 'validation_error' } });
  });

  it('answers a store id that is not a ULID with 400 before any lookup', async () => {
    const response = await post(`${server.apiUrl}/stores/not-a-store/check`, '{}');
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_error' } });
  });

  it('answers an unknown store with 404 store_id_not_found', async () => {
    const unknown = new OpenFgaClient({ apiUrl: server.apiUrl, storeId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' });
    await expect(unknown.getStore()).rejects.toMatchObject({
      statusCode: 404,
      apiErrorCode: 'store_id_not_found',
    });
  });

  it('answers an unknown path with 404 undefined_endpoint', async () => {
    const response = await post(`${server.apiUrl}/stores/${storeId}/no-such-endpoint`, '{}');
    expect(response).toMatchObject({ status: 404, body: { code: 'undefined_endpoint' } });
  });

  it('answers list objects of an undefined type with type_not_found', async () => {
    await expect(
      fga.listObjects({ user: 'user:anne', relation: 'viewer', type: 'folder' }),
    ).rejects.toMatchObject({
      statusCode: 400,
      apiErrorCode: 'type_not_found',
    });
  });

  it('refuses a check with a missing field', async () => {
    const response = await post(
      `${server.apiUrl}/stores/${storeId}/check`,
      JSON.stringify({ tuple_key: { user: 'user:anne', relation: 'viewer' } }),
    );
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_error' } });
  });

  it('refuses an unknown consistency preference', async () => {
    const response = await post(
      `${server.apiUrl}/stores/${storeId}/check`,
      JSON.stringify({
        tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:1' },
        consistency: 'EVENTUAL',
      }),
    );
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_error' } });
  });
});

describe('startOpenFgaServer: limits', () => {
  let server: OpenFgaServer;
  let fga: OpenFgaClient;
  let storeId: string;

  beforeAll(async () => {
    server = await startOpenFgaServer();
    storeId = (await new OpenFgaClient({ apiUrl: server.apiUrl }).createStore({ name: 'limits' })).id;
    fga = new OpenFgaClient({ apiUrl: server.apiUrl, storeId, retryParams: noRetry });
    await fga.writeAuthorizationModel(model);
  });
  afterAll(() => server.close());

  const tuples = (count: number) =>
    Array.from({ length: count }, (_, index) => ({
      user: `user:u${index}`,
      relation: 'viewer',
      object: 'document:1',
    }));

  it('refuses more than 100 tuples in one write with exceeded_entity_limit', async () => {
    const error = await fga.write({ writes: tuples(101) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FgaApiValidationError);
    expect(error).toMatchObject({ statusCode: 400, apiErrorCode: 'exceeded_entity_limit' });
    const { tuples: stored } = await fga.read({ object: 'document:1' });
    expect(stored).toEqual([]);
  });

  it('accepts exactly 100 tuples in one write', async () => {
    await fga.write({ writes: tuples(100) });
    const { tuples: stored } = await fga.read({ object: 'document:1' }, { pageSize: 100 });
    expect(stored).toHaveLength(100);
  });

  it('refuses more than 100 contextual tuples with validation_error', async () => {
    await expect(
      fga.check({ user: 'user:x', relation: 'viewer', object: 'document:2', contextualTuples: tuples(101) }),
    ).rejects.toMatchObject({ statusCode: 400, apiErrorCode: 'validation_error' });
    await expect(
      fga.listUsers({
        object: { type: 'document', id: '2' },
        relation: 'viewer',
        user_filters: [{ type: 'user' }],
        contextualTuples: tuples(101),
      }),
    ).rejects.toMatchObject({ statusCode: 400, apiErrorCode: 'validation_error' });
  });

  it('refuses more than 50 checks in one batch with validation_error', async () => {
    const checks = Array.from({ length: 51 }, (_, index) => ({
      user: `user:u${index}`,
      relation: 'viewer',
      object: 'document:1',
    }));
    const error = await fga.batchCheck({ checks }, { maxBatchSize: 51 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ statusCode: 400, apiErrorCode: 'validation_error' });
    expect((error as FgaApiError).apiErrorMessage).toContain('maximum allowed is 50');
  });

  it('applies configured limits', async () => {
    const strict = await startOpenFgaServer({ engine: server.engine, limits: { maxTuplesPerWrite: 2 } });
    try {
      const client = new OpenFgaClient({
        apiUrl: strict.apiUrl,
        storeId,
        retryParams: noRetry,
      });
      await expect(client.write({ writes: tuples(3) })).rejects.toMatchObject({
        apiErrorCode: 'exceeded_entity_limit',
      });
    } finally {
      await strict.close();
    }
  });
});

describe('startOpenFgaServer: unimplemented endpoints', () => {
  let server: OpenFgaServer;
  let fga: OpenFgaClient;

  beforeAll(async () => {
    server = await startOpenFgaServer();
    const { id } = await new OpenFgaClient({ apiUrl: server.apiUrl }).createStore({ name: 'unimplemented' });
    const { authorization_model_id } = await new OpenFgaClient({
      apiUrl: server.apiUrl,
      storeId: id,
    }).writeAuthorizationModel(model);
    fga = new OpenFgaClient({
      apiUrl: server.apiUrl,
      storeId: id,
      authorizationModelId: authorization_model_id,
    });
  });
  afterAll(() => server.close());

  it.each([
    ['read changes', () => fga.readChanges()],
    ['read assertions', () => fga.readAssertions()],
    ['write assertions', () => fga.writeAssertions([])],
  ])('answers %s with 501 unimplemented', async (_name, call) => {
    const error = await call().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FgaApiError);
    expect(error).toMatchObject({ statusCode: 501, responseData: { code: 'unimplemented' } });
  });
});

describe('startOpenFgaServer: bearer token', () => {
  const token = 'local-test-token';
  let server: OpenFgaServer;

  beforeAll(async () => {
    server = await startOpenFgaServer({ apiToken: token });
  });
  afterAll(() => server.close());

  const clientWith = (config?: { token: string }) =>
    new OpenFgaClient({
      apiUrl: server.apiUrl,
      ...(config && { credentials: { method: CredentialsMethod.ApiToken, config } }),
    });

  it('serves a client that sends the token', async () => {
    const store = await clientWith({ token }).createStore({ name: 'authorized' });
    expect(store.name).toBe('authorized');
  });

  it('refuses a client with a wrong token (401 unauthenticated) and does not echo the token', async () => {
    const error = await clientWith({ token: 'wrong-token' })
      .listStores()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FgaApiAuthenticationError);
    expect(error).toMatchObject({ statusCode: 401, apiErrorCode: 'unauthenticated' });
    expect(JSON.stringify((error as FgaApiError).responseData)).not.toContain('wrong-token');
  });

  it('refuses a client without a token (401 bearer_token_missing)', async () => {
    await expect(clientWith().listStores()).rejects.toMatchObject({
      statusCode: 401,
      apiErrorCode: 'bearer_token_missing',
    });
  });

  it('keeps the health check open', async () => {
    const response = await fetch(`${server.apiUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'SERVING' });
  });
});

describe('startOpenFgaServer: loopback host names', () => {
  let server: OpenFgaServer;

  beforeAll(async () => {
    server = await startOpenFgaServer();
  });
  afterAll(() => server.close());

  /** A raw request with a chosen Host header (fetch does not let a caller set Host). */
  function getStores(host: string): Promise<{ status: number; body: string }> {
    const url = new URL(`${server.apiUrl}/stores`);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { hostname: url.hostname, port: url.port, path: url.pathname, headers: { host } },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            body += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  it('refuses a request that names another host (DNS rebinding)', async () => {
    const response = await getStores('attacker.example:80');
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'forbidden' });
  });

  it.each(['localhost', '127.0.0.1', '[::1]', 'app.localhost'])('serves Host %s', async (name) => {
    const port = new URL(server.apiUrl).port;
    expect((await getStores(`${name}:${port}`)).status).toBe(200);
  });
});

describe('startOpenFgaServer: options', () => {
  it.each([
    [{ port: -1 }, /port/],
    [{ port: 1.5 }, /port/],
    [{ host: '' }, /host/],
    [{ apiToken: '' }, /apiToken/],
    [{ limits: { maxTuplesPerWrite: 0 } }, /maxTuplesPerWrite/],
    [{ engine: {} }, /engine/],
  ])('rejects %j with a TypeError', async (options, message) => {
    await expect(startOpenFgaServer(options as never)).rejects.toThrow(TypeError);
    await expect(startOpenFgaServer(options as never)).rejects.toThrow(message);
  });

  it('listens on loopback by default and stops on close', async () => {
    const server = await startOpenFgaServer();
    expect(server.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await server.close();
    await expect(fetch(`${server.apiUrl}/healthz`)).rejects.toThrow();
  });
});
