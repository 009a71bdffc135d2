import {
  ClientWriteRequestOnDuplicateWrites,
  ClientWriteRequestOnMissingDeletes,
  FgaApiNotFoundError,
  OpenFgaClient,
} from '@openfga/sdk';
import { transformer } from '@openfga/syntax-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenFgaServer, startOpenFgaServer } from '../src/index';

const ulidPattern = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const model = transformer.transformDSLToJSONObject(`model
  schema 1.1
type user
type document
  relations
    define viewer: [user]`) as unknown as Parameters<OpenFgaClient['writeAuthorizationModel']>[0];

let server: OpenFgaServer;
let client: OpenFgaClient;

beforeAll(async () => {
  server = await startOpenFgaServer();
  client = new OpenFgaClient({ apiUrl: server.apiUrl });
});
afterAll(() => server.close());

async function newStoreClient(name = 'test'): Promise<OpenFgaClient> {
  const { id } = await client.createStore({ name });
  return new OpenFgaClient({ apiUrl: server.apiUrl, storeId: id });
}

describe('startOpenFgaServer: stores', () => {
  it('creates a store with a ULID id and reads it back', async () => {
    const created = await client.createStore({ name: 'acme' });
    expect(created.id).toMatch(ulidPattern);
    expect(created.name).toBe('acme');
    expect(created.$response.status).toBe(201);

    const store = await client.getStore({ storeId: created.id });
    expect(store).toMatchObject({ id: created.id, name: 'acme' });
    expect(Date.parse(store.created_at)).not.toBeNaN();
  });

  it.each(['ab', 'x'.repeat(65)])(
    'refuses the store name %s (OpenFGA wants 3 to 64 characters)',
    async (name) => {
      await expect(client.createStore({ name })).rejects.toMatchObject({
        statusCode: 400,
        apiErrorCode: 'validation_error',
      });
    },
  );

  it('lists stores page by page and filters by name', async () => {
    const names = ['page-a', 'page-b', 'page-c'];
    const ids = [];
    for (const name of names) ids.push((await client.createStore({ name })).id);

    const seen: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await client.listStores({ pageSize: 2, continuationToken });
      expect(page.stores.length).toBeLessThanOrEqual(2);
      seen.push(...page.stores.map((store) => store.id));
      continuationToken = page.continuation_token || undefined;
    } while (continuationToken);
    expect(seen).toEqual(expect.arrayContaining(ids));

    const filtered = await client.listStores({ name: 'page-b' });
    expect(filtered.stores.map((store) => store.id)).toEqual([ids[1]]);
  });

  it('deletes a store, after which it is not found (404 store_id_not_found)', async () => {
    const { id } = await client.createStore({ name: 'doomed' });
    const deleted = await client.deleteStore({ storeId: id });
    expect(deleted.$response.status).toBe(204);

    const error = await client.getStore({ storeId: id }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FgaApiNotFoundError);
    expect(error).toMatchObject({ statusCode: 404, apiErrorCode: 'store_id_not_found' });
  });
});

describe('startOpenFgaServer: authorization models', () => {
  it('writes models with ULID ids and lists them newest first', async () => {
    const store = await newStoreClient();
    const first = await store.writeAuthorizationModel(model);
    const second = await store.writeAuthorizationModel(model);
    expect(first.authorization_model_id).toMatch(ulidPattern);
    expect(first.$response.status).toBe(201);

    const listed = await store.readAuthorizationModels();
    expect(listed.authorization_models.map((entry) => entry.id)).toEqual([
      second.authorization_model_id,
      first.authorization_model_id,
    ]);

    const latest = await store.readLatestAuthorizationModel();
    expect(latest.authorization_model?.id).toBe(second.authorization_model_id);

    const read = await store.readAuthorizationModel({ authorizationModelId: first.authorization_model_id });
    expect(read.authorization_model?.type_definitions.map((definition) => definition.type)).toEqual([
      'user',
      'document',
    ]);
  });

  it('pages through models with a continuation token', async () => {
    const store = await newStoreClient();
    const ids = [];
    for (let index = 0; index < 3; index++) {
      ids.unshift((await store.writeAuthorizationModel(model)).authorization_model_id);
    }
    const firstPage = await store.readAuthorizationModels({ pageSize: 2 });
    expect(firstPage.authorization_models.map((entry) => entry.id)).toEqual(ids.slice(0, 2));
    expect(firstPage.continuation_token).toBeTruthy();
    const secondPage = await store.readAuthorizationModels({
      pageSize: 2,
      continuationToken: firstPage.continuation_token,
    });
    expect(secondPage.authorization_models.map((entry) => entry.id)).toEqual(ids.slice(2));
  });

  it('refuses a model whose relation names an undefined type (400 with an OpenFGA code)', async () => {
    const store = await newStoreClient();
    const invalid = transformer.transformDSLToJSONObject(`model
  schema 1.1
type document
  relations
    define viewer: [user]`) as unknown as Parameters<OpenFgaClient['writeAuthorizationModel']>[0];
    await expect(store.writeAuthorizationModel(invalid)).rejects.toMatchObject({
      statusCode: 400,
      apiErrorCode: expect.any(String),
    });
  });

  it('answers an unknown model id with authorization_model_not_found', async () => {
    const store = await newStoreClient();
    await store.writeAuthorizationModel(model);
    await expect(
      store.readAuthorizationModel({ authorizationModelId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }),
    ).rejects.toMatchObject({ statusCode: 400, apiErrorCode: 'authorization_model_not_found' });
  });
});

describe('startOpenFgaServer: tuples', () => {
  it('writes tuples and reads them back page by page', async () => {
    const store = await newStoreClient();
    await store.writeAuthorizationModel(model);
    const tuples = Array.from({ length: 7 }, (_, index) => ({
      user: `user:u${index}`,
      relation: 'viewer',
      object: 'document:report',
    }));
    await store.write({ writes: tuples });

    const read: string[] = [];
    let continuationToken: string | undefined;
    let pages = 0;
    do {
      const page = await store.read({ object: 'document:report' }, { pageSize: 3, continuationToken });
      expect(page.tuples.length).toBeLessThanOrEqual(3);
      read.push(...page.tuples.map((tuple) => tuple.key.user));
      continuationToken = page.continuation_token || undefined;
      pages++;
    } while (continuationToken);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(read.sort()).toEqual(tuples.map((tuple) => tuple.user).sort());
  });

  it('filters reads by object type, user and relation, as OpenFGA does', async () => {
    const store = await newStoreClient();
    await store.writeAuthorizationModel(model);
    await store.write({
      writes: [
        { user: 'user:anne', relation: 'viewer', object: 'document:1' },
        { user: 'user:anne', relation: 'viewer', object: 'document:2' },
        { user: 'user:bob', relation: 'viewer', object: 'document:2' },
      ],
    });
    const keys = async (filter: Parameters<OpenFgaClient['read']>[0]) =>
      (await store.read(filter)).tuples.map((tuple) => `${tuple.key.object}@${tuple.key.user}`).sort();
    expect(await keys({ user: 'user:anne', object: 'document:' })).toEqual([
      'document:1@user:anne',
      'document:2@user:anne',
    ]);
    expect(await keys({ relation: 'viewer', object: 'document:2' })).toEqual([
      'document:2@user:anne',
      'document:2@user:bob',
    ]);
    expect(await keys({})).toHaveLength(3);
    await expect(store.read({ user: 'user:anne' })).rejects.toMatchObject({
      statusCode: 400,
      apiErrorCode: 'validation_error',
    });
  });

  it('deletes tuples', async () => {
    const store = await newStoreClient();
    await store.writeAuthorizationModel(model);
    const tuple = { user: 'user:anne', relation: 'viewer', object: 'document:1' };
    await store.write({ writes: [tuple] });
    await store.write({ deletes: [tuple] });
    const { tuples } = await store.read({ object: 'document:1' });
    expect(tuples).toEqual([]);
  });

  it('refuses a duplicate write, unless on_duplicate is ignore', async () => {
    const store = await newStoreClient();
    await store.writeAuthorizationModel(model);
    const tuple = { user: 'user:anne', relation: 'viewer', object: 'document:1' };
    await store.writeTuples([tuple]);
    await expect(store.writeTuples([tuple])).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      store.writeTuples([tuple], {
        conflict: { onDuplicateWrites: ClientWriteRequestOnDuplicateWrites.Ignore },
      }),
    ).resolves.toBeDefined();
    const { tuples } = await store.read({ object: 'document:1' });
    expect(tuples).toHaveLength(1);
  });

  it('refuses deleting a missing tuple, unless on_missing is ignore', async () => {
    const store = await newStoreClient();
    await store.writeAuthorizationModel(model);
    const kept = { user: 'user:anne', relation: 'viewer', object: 'document:1' };
    const missing = { user: 'user:bob', relation: 'viewer', object: 'document:1' };
    await store.writeTuples([kept]);
    await expect(store.deleteTuples([missing])).rejects.toMatchObject({ statusCode: 400 });
    await store.deleteTuples([missing, kept], {
      conflict: { onMissingDeletes: ClientWriteRequestOnMissingDeletes.Ignore },
    });
    const { tuples } = await store.read({ object: 'document:1' });
    expect(tuples).toEqual([]);
  });

  it('refuses a tuple whose relation the model does not define', async () => {
    const store = await newStoreClient();
    await store.writeAuthorizationModel(model);
    await expect(
      store.writeTuples([{ user: 'user:anne', relation: 'owner', object: 'document:1' }]),
    ).rejects.toMatchObject({ statusCode: 400, apiErrorCode: expect.any(String) });
  });
});
