import { OpenFgaClient } from '@openfga/sdk';
import { transformer } from '@openfga/syntax-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenFgaServer, startOpenFgaServer } from '../src/index';

const model = transformer.transformDSLToJSONObject(`model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type folder
  relations
    define viewer: [user, group#member]
type document
  relations
    define parent: [folder]
    define blocked: [user]
    define viewer: ([user, group#member] or viewer from parent) but not blocked`) as unknown as Parameters<
  OpenFgaClient['writeAuthorizationModel']
>[0];

let server: OpenFgaServer;
let fga: OpenFgaClient;
let storeId: string;

beforeAll(async () => {
  server = await startOpenFgaServer();
  const admin = new OpenFgaClient({ apiUrl: server.apiUrl });
  storeId = (await admin.createStore({ name: 'queries' })).id;
  fga = new OpenFgaClient({ apiUrl: server.apiUrl, storeId });
  const { authorization_model_id } = await fga.writeAuthorizationModel(model);
  fga = new OpenFgaClient({ apiUrl: server.apiUrl, storeId, authorizationModelId: authorization_model_id });
  await fga.write({
    writes: [
      { user: 'user:anne', relation: 'member', object: 'group:eng' },
      { user: 'group:eng#member', relation: 'viewer', object: 'folder:specs' },
      { user: 'folder:specs', relation: 'parent', object: 'document:design' },
      { user: 'folder:specs', relation: 'parent', object: 'document:secret' },
      { user: 'user:anne', relation: 'blocked', object: 'document:secret' },
      { user: 'user:bob', relation: 'viewer', object: 'document:notes' },
    ],
  });
});
afterAll(() => server.close());

describe('startOpenFgaServer: check', () => {
  it.each([
    ['user:anne', 'document:design', true],
    ['user:anne', 'document:secret', false],
    ['user:anne', 'document:notes', false],
    ['user:bob', 'document:notes', true],
    ['user:bob', 'document:design', false],
  ])('check(%s, viewer, %s) is %s', async (user, object, allowed) => {
    const response = await fga.check({ user, relation: 'viewer', object });
    expect(response.allowed).toBe(allowed);
  });

  it('honours contextual tuples and accepts a consistency preference', async () => {
    const response = await fga.check(
      {
        user: 'user:carl',
        relation: 'viewer',
        object: 'document:design',
        contextualTuples: [{ user: 'user:carl', relation: 'member', object: 'group:eng' }],
      },
      { consistency: 'HIGHER_CONSISTENCY' as never },
    );
    expect(response.allowed).toBe(true);
  });

  it('answers a relation the type does not define as OpenFGA does: check 2000, list objects 2022', async () => {
    await expect(
      fga.check({ user: 'user:anne', relation: 'owner', object: 'document:design' }),
    ).rejects.toMatchObject({ statusCode: 400, apiErrorCode: 'validation_error' });
    await expect(
      fga.listObjects({ user: 'user:anne', relation: 'owner', type: 'document' }),
    ).rejects.toMatchObject({
      statusCode: 400,
      apiErrorCode: 'relation_not_found',
    });
  });
});

describe('startOpenFgaServer: batch check', () => {
  it('answers every check by its correlation id', async () => {
    const { result } = await fga.batchCheck({
      checks: [
        { user: 'user:anne', relation: 'viewer', object: 'document:design', correlationId: 'design' },
        { user: 'user:anne', relation: 'viewer', object: 'document:secret', correlationId: 'secret' },
        {
          user: 'user:dan',
          relation: 'viewer',
          object: 'document:notes',
          correlationId: 'contextual',
          contextualTuples: {
            tuple_keys: [{ user: 'user:dan', relation: 'viewer', object: 'document:notes' }],
          },
        },
      ],
    });
    const byId = Object.fromEntries(result.map((entry) => [entry.correlationId, entry.allowed]));
    expect(byId).toEqual({ design: true, secret: false, contextual: true });
  });

  it('answers an invalid item with its own error and still answers the others', async () => {
    const { result } = await fga.batchCheck({
      checks: [
        { user: 'user:anne', relation: 'viewer', object: 'document:design', correlationId: 'good' },
        { user: 'user:anne', relation: 'no_such_relation', object: 'document:design', correlationId: 'bad' },
      ],
    });
    const byId = Object.fromEntries(result.map((entry) => [entry.correlationId, entry]));
    expect(byId.good).toMatchObject({ allowed: true });
    expect(byId.bad).toMatchObject({ allowed: false, error: { input_error: 'validation_error' } });
  });

  it('refuses duplicate correlation ids', async () => {
    const tupleKey = { user: 'user:anne', relation: 'viewer', object: 'document:design' };
    const response = await fetch(`${server.apiUrl}/stores/${storeId}/batch-check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        checks: [
          { tuple_key: tupleKey, correlation_id: 'same' },
          { tuple_key: tupleKey, correlation_id: 'same' },
        ],
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'validation_error' });
  });

  it('splits more than 50 checks into several requests (the SDK honours the server limit)', async () => {
    const checks = Array.from({ length: 120 }, (_, index) => ({
      user: index % 2 === 0 ? 'user:anne' : 'user:bob',
      relation: 'viewer',
      object: 'document:design',
    }));
    const { result } = await fga.batchCheck({ checks });
    expect(result).toHaveLength(120);
    expect(result.filter((entry) => entry.allowed)).toHaveLength(60);
  });
});

describe('startOpenFgaServer: list objects and list users', () => {
  it('lists the objects a user can view', async () => {
    const { objects } = await fga.listObjects({ user: 'user:anne', relation: 'viewer', type: 'document' });
    expect(objects).toEqual(['document:design']);
  });

  it('streams the objects a user can view as newline-delimited JSON', async () => {
    const streamed: string[] = [];
    for await (const item of fga.streamedListObjects({
      user: 'user:anne',
      relation: 'viewer',
      type: 'document',
      contextualTuples: [{ user: 'user:anne', relation: 'viewer', object: 'document:notes' }],
    })) {
      streamed.push(item.object);
    }
    expect(streamed.sort()).toEqual(['document:design', 'document:notes']);
  });

  it('lists the users and usersets related to an object', async () => {
    const direct = await fga.listUsers({
      object: { type: 'folder', id: 'specs' },
      relation: 'viewer',
      user_filters: [{ type: 'group', relation: 'member' }],
    });
    expect(direct.users).toEqual([{ userset: { type: 'group', id: 'eng', relation: 'member' } }]);

    const users = await fga.listUsers({
      object: { type: 'document', id: 'design' },
      relation: 'viewer',
      user_filters: [{ type: 'user' }],
      contextualTuples: [{ user: 'user:erin', relation: 'member', object: 'group:eng' }],
    });
    const ids = users.users.map((user) => ('object' in user ? user.object?.id : undefined)).sort();
    expect(ids).toEqual(['anne', 'erin']);
  });
});

describe('startOpenFgaServer: expand', () => {
  it('returns one level of the userset tree through the SDK', async () => {
    const { tree } = await fga.expand({ relation: 'member', object: 'group:eng' });
    expect(tree?.root).toEqual({ name: 'group:eng#member', leaf: { users: { users: ['user:anne'] } } });
  });

  it('includes contextual tuples and refuses an unknown relation', async () => {
    const { tree } = await fga.expand({
      relation: 'member',
      object: 'group:eng',
      contextualTuples: [{ user: 'user:carol', relation: 'member', object: 'group:eng' }],
    });
    expect(tree?.root?.leaf?.users?.users).toEqual(['user:anne', 'user:carol']);
    await expect(fga.expand({ relation: 'nope', object: 'group:eng' })).rejects.toMatchObject({
      apiErrorCode: 'relation_not_found',
    });
  });
});
