import { OpenFgaClient } from '@openfga/sdk';
import { transformer } from '@openfga/syntax-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalFga, type OpenFgaServer, startOpenFgaServer } from '../src/index';
import { fanOutModel } from './fan-out-model';

type ModelRequest = Parameters<OpenFgaClient['writeAuthorizationModel']>[0];

const TOO_COMPLEX = {
  statusCode: 400,
  apiErrorCode: 'authorization_model_resolution_too_complex',
  apiErrorMessage: expect.stringContaining('maxResolutionStepsPerRequest'),
};

let server: OpenFgaServer;

/** A store on the server with `dsl` as its model, through a client pinned to that model. */
async function clientFor(dsl: string): Promise<OpenFgaClient> {
  const admin = new OpenFgaClient({ apiUrl: server.apiUrl });
  const { id: storeId } = await admin.createStore({ name: 'budget' });
  const model = transformer.transformDSLToJSONObject(dsl) as unknown as ModelRequest;
  const writer = new OpenFgaClient({ apiUrl: server.apiUrl, storeId });
  const { authorization_model_id: authorizationModelId } = await writer.writeAuthorizationModel(model);
  return new OpenFgaClient({ apiUrl: server.apiUrl, storeId, authorizationModelId });
}

beforeAll(async () => {
  server = await startOpenFgaServer({ engine: createLocalFga({ maxResolutionStepsPerRequest: 50_000 }) });
});
afterAll(() => server.close());

describe('startOpenFgaServer: memoised resolution through @openfga/sdk', () => {
  it('answers checks and list objects on a model with 4^20 paths', async () => {
    const fga = await clientFor(fanOutModel({ width: 4, depth: 20 }));
    await fga.write({
      writes: [
        { user: 'user:anne', relation: 'r20_2', object: 'document:1' },
        { user: 'user:anne', relation: 'top', object: 'document:1' },
        { user: 'user:anne', relation: 'top', object: 'document:2' },
      ],
    });
    const check = async (object: string) =>
      (await fga.check({ user: 'user:anne', relation: 'r0_0', object })).allowed;
    expect(await check('document:1')).toBe(true);
    expect(await check('document:2')).toBe(false);
    const { objects } = await fga.listObjects({ user: 'user:anne', relation: 'top', type: 'document' });
    expect(objects).toEqual(['document:1']);
  });
});

describe('startOpenFgaServer: resolution budget through @openfga/sdk', () => {
  let fga: OpenFgaClient;
  beforeAll(async () => {
    fga = await clientFor(fanOutModel({ width: 4, depth: 20, cyclic: true }));
    await fga.write({
      writes: [
        { user: 'user:anne', relation: 'top', object: 'document:1' },
        { user: 'user:anne', relation: 'r20_0', object: 'document:granted' },
      ],
    });
  });

  it('answers check, list objects and list users past the budget with 2002 (HTTP 400)', async () => {
    await expect(
      fga.check({ user: 'user:anne', relation: 'r0_0', object: 'document:1' }),
    ).rejects.toMatchObject(TOO_COMPLEX);
    await expect(
      fga.listObjects({ user: 'user:anne', relation: 'top', type: 'document' }),
    ).rejects.toMatchObject(TOO_COMPLEX);
    await expect(
      fga.listUsers({
        object: { type: 'document', id: '1' },
        relation: 'top',
        user_filters: [{ type: 'user' }],
      }),
    ).rejects.toMatchObject(TOO_COMPLEX);
  });

  it('reports the stopped item of a batch check in its result and answers the others', async () => {
    const { result } = await fga.batchCheck({
      checks: [
        { user: 'user:anne', relation: 'r0_0', object: 'document:granted', correlationId: 'granted' },
        { user: 'user:anne', relation: 'r0_0', object: 'document:1', correlationId: 'heavy' },
      ],
    });
    const byId = Object.fromEntries(result.map((entry) => [entry.correlationId, entry]));
    expect(byId.granted).toMatchObject({ allowed: true });
    expect(byId.heavy).toMatchObject({
      allowed: false,
      error: { input_error: 'authorization_model_resolution_too_complex' },
    });
  });

  it('keeps serving after refusing a request', async () => {
    await expect(
      fga.check({ user: 'user:anne', relation: 'r0_0', object: 'document:1' }),
    ).rejects.toMatchObject(TOO_COMPLEX);
    const health = await fetch(`${server.apiUrl}/healthz`);
    expect(await health.json()).toEqual({ status: 'SERVING' });
    const { allowed } = await fga.check({ user: 'user:anne', relation: 'r0_0', object: 'document:granted' });
    expect(allowed).toBe(true);
  });
});
