import { describe, expect, it } from 'vitest';
import { createLocalFga, type LocalFga, type TupleKey } from '../src/index';
import { thrown } from './helpers';

const driveModel = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type folder
  relations
    define parent: [folder]
    define viewer: [user, group#member] or viewer from parent
type document
  relations
    define parent: [folder]
    define blocked: [user]
    define owner: [user]
    define editor: [user, group#member] or owner
    define viewer: ([user, user:*, group#member] or editor or viewer from parent) but not blocked
`;

const tuple = (user: string, relation: string, object: string): TupleKey => ({ user, relation, object });

function drive(options?: Parameters<typeof createLocalFga>[0]) {
  const fga = createLocalFga(options);
  const { id: storeId } = fga.createStore({ name: 'drive' });
  fga.writeAuthorizationModelFromDsl(storeId, driveModel);
  fga.write(storeId, {
    writes: [
      tuple('user:anne', 'member', 'group:eng'),
      tuple('group:eng#member', 'member', 'group:all'),
      tuple('group:all#member', 'viewer', 'folder:root'),
      tuple('folder:root', 'parent', 'folder:a'),
      tuple('folder:a', 'parent', 'folder:b'),
      tuple('folder:b', 'parent', 'folder:c'),
      tuple('folder:c', 'parent', 'folder:d'),
      tuple('folder:d', 'parent', 'document:deep'),
      tuple('user:bob', 'owner', 'document:own'),
      tuple('user:anne', 'blocked', 'document:deep2'),
      tuple('folder:d', 'parent', 'document:deep2'),
      tuple('user:*', 'viewer', 'document:public'),
    ],
  });
  return { fga, storeId };
}

const check = (fga: LocalFga, storeId: string, user: string, relation: string, object: string, extra = {}) =>
  fga.check(storeId, { tuple_key: { user, relation, object }, ...extra }).allowed;

describe('check', () => {
  const { fga, storeId } = drive();

  it.each([
    ['anne through nested groups and a 5-deep folder chain', 'user:anne', 'viewer', 'document:deep', true],
    ['anne, blocked on the document', 'user:anne', 'viewer', 'document:deep2', false],
    ['bob, not in any group', 'user:bob', 'viewer', 'document:deep', false],
    ['bob as owner through editor', 'user:bob', 'viewer', 'document:own', true],
    ['anyone on a public document', 'user:zoe', 'viewer', 'document:public', true],
    ['the group userset itself', 'group:eng#member', 'viewer', 'document:deep', true],
    ['a document nobody wrote about', 'user:anne', 'viewer', 'document:none', false],
  ])('answers %s', (_label, user, relation, object, expected) => {
    expect(check(fga, storeId, user, relation, object)).toBe(expected);
  });

  it('uses contextual tuples for one request only, and validates them', () => {
    const extra = { contextual_tuples: [tuple('user:carl', 'editor', 'document:own')] };
    expect(check(fga, storeId, 'user:carl', 'viewer', 'document:own', extra)).toBe(true);
    expect(check(fga, storeId, 'user:carl', 'viewer', 'document:own')).toBe(false);
    const invalid = { contextual_tuples: [tuple('user:carl', 'viewer', 'folder:x#viewer')] };
    expect(thrown(() => check(fga, storeId, 'user:carl', 'viewer', 'document:own', invalid))).toMatchObject({
      code: 'invalid_tuple',
      numericCode: 2027,
    });
  });

  it('rejects undefined types, relations and malformed users with validation_error (2000)', () => {
    for (const [user, relation, object] of [
      ['user:anne', 'viewer', 'space:1'],
      ['user:anne', 'reader', 'document:1'],
      ['robot:r2', 'viewer', 'document:1'],
      ['a:b:c', 'viewer', 'document:1'],
    ] as const) {
      expect(thrown(() => check(fga, storeId, user, relation, object)).numericCode).toBe(2000);
    }
  });

  it('terminates on cyclic group membership and answers false', () => {
    const cyclic = createLocalFga();
    const { id } = cyclic.createStore({ name: 'cycle' });
    cyclic.writeAuthorizationModelFromDsl(id, driveModel);
    cyclic.write(id, {
      writes: [tuple('group:a#member', 'member', 'group:b'), tuple('group:b#member', 'member', 'group:a')],
    });
    expect(check(cyclic, id, 'user:anne', 'member', 'group:a')).toBe(false);
    cyclic.write(id, { writes: [tuple('user:anne', 'member', 'group:b')] });
    expect(check(cyclic, id, 'user:anne', 'member', 'group:a')).toBe(true);
  });

  it('fails with authorization_model_resolution_too_complex (2002) past maxResolutionDepth', () => {
    const shallow = drive({ maxResolutionDepth: 4 });
    expect(
      thrown(() => check(shallow.fga, shallow.storeId, 'user:anne', 'viewer', 'document:deep')),
    ).toMatchObject({ code: 'authorization_model_resolution_too_complex', numericCode: 2002 });
  });
});

describe('batchCheck', () => {
  it('answers each item under its correlation id and reports item errors without failing the batch', () => {
    const { fga, storeId } = drive();
    const { result } = fga.batchCheck(storeId, {
      checks: [
        {
          correlation_id: 'a',
          tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:deep' },
        },
        { correlation_id: 'b', tuple_key: { user: 'user:bob', relation: 'viewer', object: 'document:deep' } },
        { correlation_id: 'c', tuple_key: { user: 'user:bob', relation: 'nope', object: 'document:deep' } },
      ],
    });
    expect(result.a).toEqual({ allowed: true });
    expect(result.b).toEqual({ allowed: false });
    expect(result.c?.error).toMatchObject({ input_error: 'validation_error' });
    expect(result.c?.error?.message).toContain('nope');
  });

  it('answers many items of one user like single checks (one shared memo per user)', () => {
    const { fga, storeId } = drive();
    const objects = [
      'document:deep',
      'document:deep2',
      'document:own',
      'document:public',
      'folder:b',
      'group:all',
    ];
    const relations = ['viewer', 'viewer', 'viewer', 'viewer', 'viewer', 'member'];
    const checks = objects.flatMap((object, index) =>
      ['user:anne', 'user:bob'].map((user) => ({
        correlation_id: `${user}-${object}`,
        tuple_key: { user, relation: relations[index] as string, object },
      })),
    );
    const { result } = fga.batchCheck(storeId, { checks });
    for (const item of checks) {
      expect(result[item.correlation_id]).toEqual(fga.check(storeId, { tuple_key: item.tuple_key }));
    }
    expect(Object.values(result).filter((entry) => entry.allowed).length).toBe(6);
  });

  it('rejects duplicate correlation ids', () => {
    const { fga, storeId } = drive();
    const item = {
      correlation_id: 'x',
      tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:1' },
    };
    expect(thrown(() => fga.batchCheck(storeId, { checks: [item, item] })).code).toBe('validation_error');
  });
});

describe('listObjects', () => {
  it('sees contextual tuples and tuples written after an earlier listing', () => {
    const { fga, storeId } = drive();
    const list = (contextual_tuples?: TupleKey[]) =>
      fga.listObjects(storeId, { type: 'folder', relation: 'viewer', user: 'user:dan', contextual_tuples })
        .objects;
    expect(list()).toEqual([]);
    expect(list([tuple('user:dan', 'viewer', 'folder:b')]).sort()).toEqual([
      'folder:b',
      'folder:c',
      'folder:d',
    ]);
    fga.write(storeId, { writes: [tuple('user:dan', 'member', 'group:eng')] });
    expect(list().sort()).toEqual(['folder:a', 'folder:b', 'folder:c', 'folder:d', 'folder:root']);
  });

  it('lists every document a user reaches, minus exclusions', () => {
    const { fga, storeId } = drive();
    const list = (user: string) =>
      fga.listObjects(storeId, { type: 'document', relation: 'viewer', user }).objects.sort();
    expect(list('user:anne')).toEqual(['document:deep', 'document:public']);
    expect(list('user:bob')).toEqual(['document:own', 'document:public']);
    expect(list('group:eng#member')).toEqual(['document:deep', 'document:deep2']);
    expect(list('user:*')).toEqual(['document:public']);
    expect(
      thrown(() => fga.listObjects(storeId, { type: 'space', relation: 'viewer', user: 'user:anne' })).code,
    ).toBe('type_not_found');
    expect(
      thrown(() => fga.listObjects(storeId, { type: 'document', relation: 'reader', user: 'user:anne' }))
        .code,
    ).toBe('relation_not_found');
  });
});

describe('listUsers', () => {
  it('lists users, usersets and wildcards', () => {
    const { fga, storeId } = drive();
    const list = (object: string, type: string, relation?: string) =>
      fga.listUsers(storeId, {
        object: { type: 'document', id: object },
        relation: 'viewer',
        user_filters: [relation ? { type, relation } : { type }],
      }).users;
    expect(list('deep', 'user')).toEqual([{ object: { type: 'user', id: 'anne' } }]);
    expect(list('deep2', 'user')).toEqual([]);
    expect(list('public', 'user')).toEqual([{ wildcard: { type: 'user' } }]);
    expect(list('deep', 'group', 'member')).toEqual(
      expect.arrayContaining([
        { userset: { type: 'group', id: 'eng', relation: 'member' } },
        { userset: { type: 'group', id: 'all', relation: 'member' } },
      ]),
    );
  });
});

describe('expand', () => {
  it('expands one level: leaves of users, computed usersets and from-usersets under the set operations', () => {
    const { fga, storeId } = drive();
    fga.write(storeId, { writes: [tuple('user:carl', 'viewer', 'document:deep')] });
    const { tree } = fga.expand(storeId, { tuple_key: { object: 'document:deep', relation: 'viewer' } });
    const name = 'document:deep#viewer';
    expect(tree.root).toEqual({
      name,
      difference: {
        base: {
          name,
          union: {
            nodes: [
              { name, leaf: { users: { users: ['user:carl'] } } },
              { name, leaf: { computed: { userset: 'document:deep#editor' } } },
              {
                name,
                leaf: {
                  tupleToUserset: {
                    tupleset: 'document:deep#parent',
                    computed: [{ userset: 'folder:d#viewer' }],
                  },
                },
              },
            ],
          },
        },
        subtract: { name, leaf: { computed: { userset: 'document:deep#blocked' } } },
      },
    });
    const group = fga.expand(storeId, {
      tuple_key: { object: 'group:all', relation: 'member' },
      contextual_tuples: [tuple('user:dan', 'member', 'group:all')],
    });
    expect(group.tree.root.leaf?.users?.users).toEqual(['group:eng#member', 'user:dan']);
    expect(
      thrown(() => fga.expand(storeId, { tuple_key: { object: 'document:1', relation: 'nope' } })).code,
    ).toBe('relation_not_found');
  });
});

describe('conditions', () => {
  const model = `model
  schema 1.1
type user
type document
  relations
    define viewer: [user with in_network, user with before, user with fresh, user with tagged, user with quota, user with ratio]

condition in_network(ip: ipaddress, cidr: string) {
  ip.in_cidr(cidr)
}
condition before(now: timestamp, deadline: timestamp) {
  now < deadline
}
condition fresh(age: duration) {
  age < duration("1h")
}
condition tagged(tags: list<string>) {
  "public" in tags
}
condition quota(limits: map<int>, used: uint) {
  used < uint(limits["docs"])
}
condition ratio(score: double) {
  score >= 0.5
}
`;

  function conditional(name: string, context?: Record<string, unknown>) {
    const fga = createLocalFga();
    const { id: storeId } = fga.createStore({ name: 'conditions' });
    fga.writeAuthorizationModelFromDsl(storeId, model);
    fga.write(storeId, {
      writes: [{ user: 'user:anne', relation: 'viewer', object: 'document:1', condition: { name, context } }],
    });
    return (requestContext?: Record<string, unknown>) =>
      fga.check(storeId, {
        tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:1' },
        context: requestContext,
      }).allowed;
  }

  it.each<[string, Record<string, unknown> | undefined, Record<string, unknown>, boolean]>([
    ['ipaddress in_cidr (IPv4)', { cidr: '192.168.0.0/16' }, { ip: '192.168.10.1' }, true],
    ['ipaddress in_cidr outside', { cidr: '192.168.0.0/16' }, { ip: '10.0.0.1' }, false],
    ['ipaddress in_cidr (IPv6)', { cidr: '2001:db8::/32' }, { ip: '2001:db8::1' }, true],
    ['timestamps', { deadline: '2026-01-01T00:00:00Z' }, { now: '2025-12-31T23:59:59Z' }, true],
    [
      'timestamps after the deadline',
      { deadline: '2026-01-01T00:00:00Z' },
      { now: '2026-01-02T00:00:00Z' },
      false,
    ],
    ['durations', undefined, { age: '30m' }, true],
    ['lists', undefined, { tags: ['internal', 'public'] }, true],
    ['maps and uint', { limits: { docs: 10 } }, { used: 3 }, true],
    ['doubles', undefined, { score: 0.25 }, false],
  ])('evaluates %s', (_label, tupleContext, requestContext, expected) => {
    const name = Object.keys(requestContext).includes('ip')
      ? 'in_network'
      : 'now' in requestContext
        ? 'before'
        : 'age' in requestContext
          ? 'fresh'
          : 'tags' in requestContext
            ? 'tagged'
            : 'used' in requestContext
              ? 'quota'
              : 'ratio';
    expect(conditional(name, tupleContext)(requestContext)).toBe(expected);
  });

  it('lets the tuple context win over the request context', () => {
    const allowed = conditional('in_network', { cidr: '10.0.0.0/8' });
    expect(allowed({ ip: '10.1.1.1', cidr: '192.168.0.0/16' })).toBe(true);
  });

  it('fails with validation_error (2000) on a missing parameter or a value of the wrong type', () => {
    const allowed = conditional('in_network', { cidr: '10.0.0.0/8' });
    expect(thrown(() => allowed()).message).toContain('missing parameters [ip]');
    expect(thrown(() => allowed({ ip: 'not-an-ip' })).numericCode).toBe(2000);
    expect(thrown(() => conditional('ratio')({ score: 'high' })).code).toBe('validation_error');
  });
});
