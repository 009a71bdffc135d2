import { describe, expect, it } from 'vitest';
import { createLocalFga, FgaError, type TupleKey } from '../src/index';
import { thrown } from './helpers';

const dsl = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type document
  relations
    define parent: [document]
    define viewer: [user, user:*, group#member, user with in_office]
    define editor: [user]
    define can_view: viewer or editor

condition in_office(ip: ipaddress) {
  ip.in_cidr("10.0.0.0/8")
}
`;

function setUp() {
  let now = Date.parse('2026-03-01T12:00:00Z');
  const fga = createLocalFga({ clock: () => now++ });
  const { id: storeId } = fga.createStore({ name: 'tuples' });
  const modelId = fga.writeAuthorizationModelFromDsl(storeId, dsl).authorization_model_id;
  return { fga, storeId, modelId };
}

describe('write validation', () => {
  it.each<[string, TupleKey]>([
    ['an undefined object type', { user: 'user:anne', relation: 'viewer', object: 'folder:1' }],
    ['an undefined relation', { user: 'user:anne', relation: 'owner', object: 'document:1' }],
    [
      'a user type the relation does not allow',
      { user: 'group:eng', relation: 'viewer', object: 'document:1' },
    ],
    ['a wildcard the relation does not allow', { user: 'user:*', relation: 'editor', object: 'document:1' }],
    ['an undefined userset relation', { user: 'group:eng#owner', relation: 'viewer', object: 'document:1' }],
    [
      'a relation that is not directly assignable',
      { user: 'user:anne', relation: 'can_view', object: 'document:1' },
    ],
    ['a malformed user', { user: 'anne', relation: 'viewer', object: 'document:1' }],
    ['a malformed object', { user: 'user:anne', relation: 'viewer', object: 'document' }],
    [
      'a condition the relation does not allow',
      { user: 'user:anne', relation: 'editor', object: 'document:1', condition: { name: 'in_office' } },
    ],
    [
      'an undefined condition',
      { user: 'user:anne', relation: 'viewer', object: 'document:1', condition: { name: 'x' } },
    ],
    [
      'a condition context naming an undefined parameter',
      {
        user: 'user:anne',
        relation: 'viewer',
        object: 'document:1',
        condition: { name: 'in_office', context: { ip: '10.0.0.1', office: 'x' } },
      },
    ],
  ])('rejects %s with invalid_tuple (2027)', (_label, tuple) => {
    const { fga, storeId } = setUp();
    expect(thrown(() => fga.write(storeId, { writes: [tuple] }))).toMatchObject({
      code: 'invalid_tuple',
      numericCode: 2027,
    });
    expect(fga.read(storeId).tuples).toEqual([]);
  });

  it('accepts the directly related user types with and without condition', () => {
    const { fga, storeId } = setUp();
    fga.write(storeId, {
      writes: [
        { user: 'user:anne', relation: 'viewer', object: 'document:1' },
        { user: 'user:*', relation: 'viewer', object: 'document:2' },
        { user: 'group:eng#member', relation: 'viewer', object: 'document:3' },
        { user: 'user:bob', relation: 'viewer', object: 'document:4', condition: { name: 'in_office' } },
      ],
    });
    expect(fga.read(storeId).tuples).toHaveLength(4);
  });

  it('rejects duplicates in one request, writing an existing tuple and deleting a missing one', () => {
    const { fga, storeId } = setUp();
    const tuple = { user: 'user:anne', relation: 'viewer', object: 'document:1' };
    expect(thrown(() => fga.write(storeId, { writes: [tuple, tuple] })).code).toBe(
      'cannot_allow_duplicate_tuples_in_one_request',
    );
    fga.write(storeId, { writes: [tuple] });
    expect(thrown(() => fga.write(storeId, { writes: [tuple] }))).toMatchObject({
      code: 'write_failed_due_to_invalid_input',
      numericCode: 2017,
    });
    expect(
      thrown(() =>
        fga.write(storeId, { deletes: [{ user: 'user:bob', relation: 'viewer', object: 'document:1' }] }),
      ).code,
    ).toBe('write_failed_due_to_invalid_input');
    expect(thrown(() => fga.write(storeId, { writes: [tuple], deletes: [tuple] })).code).toBe(
      'cannot_allow_duplicate_tuples_in_one_request',
    );
  });

  it('applies a write atomically: one invalid tuple writes nothing', () => {
    const { fga, storeId } = setUp();
    expect(() =>
      fga.write(storeId, {
        writes: [
          { user: 'user:anne', relation: 'viewer', object: 'document:1' },
          { user: 'user:anne', relation: 'nope', object: 'document:1' },
        ],
      }),
    ).toThrow(FgaError);
    expect(fga.read(storeId).tuples).toEqual([]);
  });

  it('rejects an empty write and more than 100 tuples', () => {
    const { fga, storeId } = setUp();
    expect(thrown(() => fga.write(storeId, {})).code).toBe('invalid_write_input');
    const many = Array.from({ length: 101 }, (_, index) => ({
      user: `user:${index}`,
      relation: 'viewer',
      object: 'document:1',
    }));
    expect(thrown(() => fga.write(storeId, { writes: many })).code).toBe('exceeded_entity_limit');
  });

  it('validates against the model named in the request', () => {
    const { fga, storeId, modelId } = setUp();
    fga.writeAuthorizationModelFromDsl(storeId, 'model\n  schema 1.1\ntype user\ntype document\n');
    const tuple = { user: 'user:anne', relation: 'viewer', object: 'document:1' };
    expect(thrown(() => fga.write(storeId, { writes: [tuple] })).code).toBe('invalid_tuple');
    fga.write(storeId, { writes: [tuple], authorization_model_id: modelId });
    expect(fga.read(storeId).tuples.map((entry) => entry.key)).toEqual([tuple]);
  });
});

describe('read', () => {
  it('filters by object, object type, relation and user, and deletes', () => {
    const { fga, storeId } = setUp();
    fga.write(storeId, {
      writes: [
        { user: 'user:anne', relation: 'viewer', object: 'document:1' },
        { user: 'user:anne', relation: 'editor', object: 'document:1' },
        { user: 'user:bob', relation: 'viewer', object: 'document:2' },
        { user: 'user:anne', relation: 'member', object: 'group:eng' },
      ],
    });
    const keys = (tuple_key: Partial<TupleKey>) =>
      fga.read(storeId, { tuple_key }).tuples.map(({ key }) => `${key.object}#${key.relation}@${key.user}`);
    expect(keys({ object: 'document:1' })).toEqual([
      'document:1#viewer@user:anne',
      'document:1#editor@user:anne',
    ]);
    expect(keys({ object: 'document:', user: 'user:anne' })).toEqual([
      'document:1#viewer@user:anne',
      'document:1#editor@user:anne',
    ]);
    expect(keys({ object: 'document:', relation: 'viewer' })).toEqual([
      'document:1#viewer@user:anne',
      'document:2#viewer@user:bob',
    ]);
    expect(keys({ object: 'document:1', relation: 'viewer', user: 'user:anne' })).toEqual([
      'document:1#viewer@user:anne',
    ]);
    expect(thrown(() => fga.read(storeId, { tuple_key: { user: 'user:anne' } })).code).toBe(
      'validation_error',
    );
    fga.write(storeId, { deletes: [{ user: 'user:anne', relation: 'viewer', object: 'document:1' }] });
    expect(keys({ object: 'document:1' })).toEqual(['document:1#editor@user:anne']);
  });

  it('pages with continuation tokens in write order and returns timestamps and conditions', () => {
    const { fga, storeId } = setUp();
    const writes = Array.from({ length: 5 }, (_, index) => ({
      user: `user:${index}`,
      relation: 'viewer',
      object: 'document:1',
      condition: { name: 'in_office', context: { ip: `10.0.0.${index}` } },
    }));
    fga.write(storeId, { writes });
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = fga.read(storeId, { page_size: 2, continuation_token: token });
      for (const tuple of page.tuples) {
        seen.push(tuple.key.user);
        expect(tuple.timestamp).toMatch(/^2026-03-01T12:00:00\.\d{3}Z$/);
        expect(tuple.key.condition).toEqual({
          name: 'in_office',
          context: { ip: `10.0.0.${tuple.key.user.slice(5)}` },
        });
      }
      token = page.continuation_token;
      pages++;
    } while (token);
    expect(seen).toEqual(writes.map((tuple) => tuple.user));
    expect(pages).toBe(3);
    expect(thrown(() => fga.read(storeId, { continuation_token: 'bm9wZQ' })).code).toBe(
      'invalid_continuation_token',
    );
  });
});
