import { describe, expect, it } from 'vitest';
import { createLocalFga, FgaError } from '../src/index';
import { thrown } from './helpers';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const dsl = `model
  schema 1.1
type user
type document
  relations
    define viewer: [user]
`;

describe('createLocalFga', () => {
  it('rejects invalid options eagerly with a TypeError', () => {
    expect(() => createLocalFga({ maxResolutionDepth: 0 })).toThrow(TypeError);
    expect(() => createLocalFga({ maxTypesPerModel: 1.5 })).toThrow(TypeError);
    expect(() => createLocalFga({ clock: 5 as unknown as () => number })).toThrow(TypeError);
    expect(() => createLocalFga(null as unknown as object)).toThrow(TypeError);
  });
});

describe('FgaError', () => {
  it('carries OpenFGA code name, numeric code and HTTP status', () => {
    const error = new FgaError('authorization_model_resolution_too_complex', 'too deep');
    expect(error).toMatchObject({ code: 'authorization_model_resolution_too_complex', numericCode: 2002 });
    expect(error.httpStatus).toBe(400);
    expect(new FgaError('store_id_not_found', 'x').httpStatus).toBe(404);
    expect(FgaError.isInstance(error)).toBe(true);
    expect(FgaError.isInstance(new Error('x'))).toBe(false);
  });
});

describe('stores', () => {
  it('creates, gets, lists with pagination and deletes stores', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const fga = createLocalFga({ clock: () => now++ });
    const created = [1, 2, 3].map((index) => fga.createStore({ name: `store ${index}` }));
    expect(created[0]?.id).toMatch(ULID);
    expect(created[0]?.created_at).toBe('2026-01-01T00:00:00.000Z');
    expect(fga.getStore(created[1]?.id as string)).toEqual(created[1]);

    const first = fga.listStores({ page_size: 2 });
    expect(first.stores.map((store) => store.name)).toEqual(['store 1', 'store 2']);
    expect(first.continuation_token).not.toBe('');
    const second = fga.listStores({ page_size: 2, continuation_token: first.continuation_token });
    expect(second.stores.map((store) => store.name)).toEqual(['store 3']);
    expect(second.continuation_token).toBe('');

    fga.deleteStore(created[0]?.id as string);
    expect(thrown(() => fga.getStore(created[0]?.id as string))).toMatchObject({
      code: 'store_id_not_found',
      numericCode: 5002,
      httpStatus: 404,
    });
  });

  it('rejects a missing name, a bad page size and a foreign continuation token', () => {
    const fga = createLocalFga();
    expect(thrown(() => fga.createStore({ name: '' })).code).toBe('validation_error');
    expect(thrown(() => fga.listStores({ page_size: 101 })).code).toBe('validation_error');
    expect(thrown(() => fga.listStores({ continuation_token: 'garbage' })).code).toBe(
      'invalid_continuation_token',
    );
  });
});

describe('authorization models', () => {
  it('writes from DSL and JSON, reads one, reads all newest first, reads the latest', () => {
    const fga = createLocalFga();
    const { id: storeId } = fga.createStore({ name: 'models' });
    expect(thrown(() => fga.readLatestAuthorizationModel(storeId))).toMatchObject({
      code: 'latest_authorization_model_not_found',
      numericCode: 2020,
    });
    const first = fga.writeAuthorizationModelFromDsl(storeId, dsl).authorization_model_id;
    const model = fga.readAuthorizationModel(storeId, first);
    expect(model.id).toBe(first);
    expect(model.type_definitions.map((type) => type.type)).toEqual(['user', 'document']);
    const second = fga.writeAuthorizationModel(storeId, {
      schema_version: model.schema_version,
      type_definitions: model.type_definitions,
    }).authorization_model_id;
    expect(second).toMatch(ULID);
    expect(second > first).toBe(true);
    expect(fga.readLatestAuthorizationModel(storeId).id).toBe(second);
    const page = fga.readAuthorizationModels(storeId, { page_size: 1 });
    expect(page.authorization_models.map((entry) => entry.id)).toEqual([second]);
    const rest = fga.readAuthorizationModels(storeId, {
      page_size: 1,
      continuation_token: page.continuation_token,
    });
    expect(rest.authorization_models.map((entry) => entry.id)).toEqual([first]);
    expect(thrown(() => fga.readAuthorizationModel(storeId, '01ARZ3NDEKTSV4RRFFQ69G5FAV'))).toMatchObject({
      code: 'authorization_model_not_found',
      numericCode: 2001,
    });
  });

  it('returns copies: changing a read model does not change the stored one', () => {
    const fga = createLocalFga();
    const { id: storeId } = fga.createStore({ name: 'copies' });
    const id = fga.writeAuthorizationModelFromDsl(storeId, dsl).authorization_model_id;
    fga.readAuthorizationModel(storeId, id).type_definitions.pop();
    expect(fga.readAuthorizationModel(storeId, id).type_definitions).toHaveLength(2);
  });

  it.each([
    [
      'an undefined computed relation',
      'type user\ntype doc\n  relations\n    define viewer: editor',
      'invalid_authorization_model',
    ],
    [
      'an undefined user type',
      'type doc\n  relations\n    define viewer: [user]',
      'invalid_authorization_model',
    ],
    [
      'a from whose target relation no parent type defines',
      'type user\ntype folder\n  relations\n    define owner: [user]\ntype doc\n  relations\n    define parent: [folder]\n    define viewer: viewer from parent',
      'invalid_authorization_model',
    ],
    [
      'a tupleset relation with usersets',
      'type user\ntype group\n  relations\n    define member: [user]\ntype doc\n  relations\n    define parent: [group#member]\n    define viewer: member from parent',
      'invalid_authorization_model',
    ],
    [
      'a condition that does not type-check',
      'type user\ntype doc\n  relations\n    define viewer: [user with bad]\ncondition bad(x: int) {\n  x < "a"\n}',
      'invalid_authorization_model',
    ],
    [
      'a relation no tuple can ever grant (no entry point)',
      'type user\ntype doc\n  relations\n    define parent: [doc]\n    define viewer: viewer from parent',
      'invalid_authorization_model',
    ],
    [
      'an intersection with an operand without entry point',
      'type user\ntype doc\n  relations\n    define parent: [doc]\n    define loop: loop from parent\n    define viewer: [user] and loop',
      'invalid_authorization_model',
    ],
    [
      'DSL that does not parse',
      'type user\ntype doc\n  relations\n    define viewer [user]',
      'invalid_authorization_model',
    ],
  ])('rejects a model with %s', (_label, body, code) => {
    const fga = createLocalFga();
    const { id: storeId } = fga.createStore({ name: 'invalid' });
    const error = thrown(() => fga.writeAuthorizationModelFromDsl(storeId, `model\n  schema 1.1\n${body}\n`));
    expect(error.code).toBe(code);
    expect(error.numericCode).toBe(2056);
  });

  it('rejects malformed JSON rewrites with invalid_authorization_model instead of crashing', () => {
    const fga = createLocalFga();
    const { id: storeId } = fga.createStore({ name: 'json' });
    let deep: Record<string, unknown> = { this: {} };
    for (let level = 0; level < 60; level++) deep = { union: { child: [deep] } };
    const malformed: unknown[] = [
      null,
      'viewer',
      { union: { child: 'x' } },
      { computedUserset: {} },
      {},
      deep,
    ];
    for (const rewrite of malformed) {
      const type_definitions = [
        { type: 'user' },
        {
          type: 'doc',
          relations: { viewer: rewrite },
          metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }] } } },
        },
      ] as unknown as Parameters<typeof fga.writeAuthorizationModel>[1]['type_definitions'];
      expect(
        thrown(() => fga.writeAuthorizationModel(storeId, { schema_version: '1.1', type_definitions })).code,
      ).toBe('invalid_authorization_model');
    }
  });

  it('accepts relations that reach an entry point through other relations and cycles', () => {
    const fga = createLocalFga();
    const { id: storeId } = fga.createStore({ name: 'entry points' });
    const model = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type doc
  relations
    define parent: [doc]
    define editor: [user] or viewer
    define viewer: editor or viewer from parent
    define restricted: viewer but not editor`;
    expect(fga.writeAuthorizationModelFromDsl(storeId, model).authorization_model_id).toMatch(ULID);
  });

  it('rejects duplicate types, an unsupported schema version and too many types', () => {
    const fga = createLocalFga({ maxTypesPerModel: 2 });
    const { id: storeId } = fga.createStore({ name: 'invalid' });
    expect(
      thrown(() =>
        fga.writeAuthorizationModel(storeId, {
          schema_version: '1.1',
          type_definitions: [{ type: 'user' }, { type: 'user' }],
        }),
      ).code,
    ).toBe('cannot_allow_duplicate_types_in_one_request');
    expect(
      thrown(() =>
        fga.writeAuthorizationModel(storeId, { schema_version: '1.0', type_definitions: [{ type: 'user' }] }),
      ).code,
    ).toBe('unsupported_schema_version');
    expect(
      thrown(() =>
        fga.writeAuthorizationModel(storeId, {
          schema_version: '1.1',
          type_definitions: [{ type: 'a' }, { type: 'b' }, { type: 'c' }],
        }),
      ).code,
    ).toBe('exceeded_entity_limit');
  });
});
