import { describe, expect, it } from 'vitest';
import { createLocalFga, type LocalFgaOptions } from '../src/index';
import { fanOutModel } from './fan-out-model';
import { thrown } from './helpers';

const TOO_COMPLEX = {
  code: 'authorization_model_resolution_too_complex',
  numericCode: 2002,
  message: expect.stringContaining('maxResolutionStepsPerRequest'),
};

function store(dsl: string, options?: LocalFgaOptions) {
  const fga = createLocalFga(options);
  const { id: storeId } = fga.createStore({ name: 'budget' });
  fga.writeAuthorizationModelFromDsl(storeId, dsl);
  return { fga, storeId };
}

const tupleKey = (user: string, relation: string, object: string) => ({ user, relation, object });

describe('createLocalFga: memoised resolution', () => {
  // 4 relations per level, 20 levels: 4^20 paths from r0_0 to the last level, 84 relations to resolve.
  const fanOut = fanOutModel({ width: 4, depth: 20 });
  // Far below 4^20: the queries below only answer because each object#relation is resolved once.
  const options = { maxResolutionStepsPerRequest: 1_000 };

  it('answers a check through 4^20 paths within 1,000 resolution steps', () => {
    const { fga, storeId } = store(fanOut, options);
    const check = () => fga.check(storeId, { tuple_key: tupleKey('user:anne', 'r0_0', 'document:1') });
    expect(check()).toEqual({ allowed: false });
    fga.write(storeId, { writes: [tupleKey('user:anne', 'r20_3', 'document:1')] });
    expect(check()).toEqual({ allowed: true });
  });

  it('answers list objects, list users and batch check on the same model within the budget', () => {
    const { fga, storeId } = store(fanOut, options);
    fga.write(storeId, {
      writes: [
        tupleKey('user:anne', 'top', 'document:1'),
        tupleKey('user:anne', 'top', 'document:2'),
        tupleKey('user:anne', 'r20_1', 'document:2'),
        tupleKey('user:bob', 'r20_2', 'document:1'),
      ],
    });
    expect(
      fga.listObjects(storeId, { user: 'user:anne', relation: 'top', type: 'document' }).objects,
    ).toEqual(['document:2']);
    const { users } = fga.listUsers(storeId, {
      object: { type: 'document', id: '1' },
      relation: 'r0_0',
      user_filters: [{ type: 'user' }],
    });
    expect(users).toEqual([{ object: { type: 'user', id: 'bob' } }]);
    const { result } = fga.batchCheck(storeId, {
      checks: ['1', '2', '3'].map((id) => ({
        correlation_id: id,
        tuple_key: tupleKey('user:anne', 'r0_0', `document:${id}`),
      })),
    });
    expect(result).toEqual({ 1: { allowed: false }, 2: { allowed: true }, 3: { allowed: false } });
  });
});

describe('createLocalFga: resolution budget (maxResolutionStepsPerRequest)', () => {
  // Every path runs into the cycle through r0_0, so no answer below it is final: 4^20 paths to walk.
  const cyclic = fanOutModel({ width: 4, depth: 20, cyclic: true });

  it('fails a check that needs more than the default budget with 2002 instead of running on', () => {
    const { fga, storeId } = store(cyclic);
    const error = thrown(() =>
      fga.check(storeId, { tuple_key: tupleKey('user:anne', 'r0_0', 'document:1') }),
    );
    expect(error).toMatchObject(TOO_COMPLEX);
    expect(error.httpStatus).toBe(400);
  });

  it('still answers when a tuple grants before the budget runs out', () => {
    const { fga, storeId } = store(cyclic);
    fga.write(storeId, { writes: [tupleKey('user:anne', 'r20_0', 'document:1')] });
    expect(fga.check(storeId, { tuple_key: tupleKey('user:anne', 'r0_0', 'document:1') })).toEqual({
      allowed: true,
    });
  });

  it('bounds list objects and list users with one budget per request', () => {
    const { fga, storeId } = store(cyclic, { maxResolutionStepsPerRequest: 10_000 });
    fga.write(storeId, {
      writes: [tupleKey('user:anne', 'top', 'document:1'), tupleKey('user:bob', 'top', 'document:2')],
    });
    expect(
      thrown(() => fga.listObjects(storeId, { user: 'user:anne', relation: 'top', type: 'document' })),
    ).toMatchObject(TOO_COMPLEX);
    expect(
      thrown(() =>
        fga.listUsers(storeId, {
          object: { type: 'document', id: '1' },
          relation: 'top',
          user_filters: [{ type: 'user' }],
        }),
      ),
    ).toMatchObject(TOO_COMPLEX);
  });

  it('shares one budget across the items of a batch check and reports the items it stops', () => {
    const { fga, storeId } = store(cyclic, { maxResolutionStepsPerRequest: 10_000 });
    fga.write(storeId, {
      writes: [
        tupleKey('user:anne', 'r20_0', 'document:granted'),
        tupleKey('user:anne', 'r20_0', 'document:cheap'),
      ],
    });
    const cheap = tupleKey('user:anne', 'r20_0', 'document:cheap');
    // On its own, the cheap item takes one resolution.
    expect(fga.check(storeId, { tuple_key: cheap })).toEqual({ allowed: true });
    const { result } = fga.batchCheck(storeId, {
      checks: [
        { correlation_id: 'granted', tuple_key: tupleKey('user:anne', 'r0_0', 'document:granted') },
        { correlation_id: 'heavy', tuple_key: tupleKey('user:anne', 'r0_0', 'document:1') },
        { correlation_id: 'cheap', tuple_key: cheap },
      ],
    });
    expect(result.granted).toEqual({ allowed: true });
    for (const id of ['heavy', 'cheap']) {
      expect(result[id]).toEqual({
        error: {
          input_error: 'authorization_model_resolution_too_complex',
          message: expect.stringContaining('more than 10000 steps'),
        },
      });
    }
  });

  it('counts the userset tuples a resolution reads, not only the relations it steps into', () => {
    const groups = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
`;
    // 150 userset tuples on group:all: 151 steps into group#member, plus 150 tuples read.
    const writes = Array.from({ length: 150 }, (_, index) =>
      tupleKey(`group:g${index}#member`, 'member', 'group:all'),
    );
    const request = { tuple_key: tupleKey('user:anne', 'member', 'group:all') };
    const tight = store(groups, { maxResolutionStepsPerRequest: 200 });
    const roomy = store(groups, { maxResolutionStepsPerRequest: 400 });
    for (const { fga, storeId } of [tight, roomy]) {
      fga.write(storeId, { writes: writes.slice(0, 100) });
      fga.write(storeId, { writes: writes.slice(100) });
    }
    expect(thrown(() => tight.fga.check(tight.storeId, request))).toMatchObject(TOO_COMPLEX);
    expect(roomy.fga.check(roomy.storeId, request)).toEqual({ allowed: false });
  });

  it('gives every request a fresh budget', () => {
    const { fga, storeId } = store(fanOutModel({ width: 4, depth: 20 }), {
      maxResolutionStepsPerRequest: 1_000,
    });
    for (let round = 0; round < 5; round++) {
      expect(fga.check(storeId, { tuple_key: tupleKey('user:anne', 'r0_0', 'document:1') })).toEqual({
        allowed: false,
      });
    }
  });

  it('rejects an invalid maxResolutionStepsPerRequest eagerly with a TypeError', () => {
    for (const value of [0, -1, 1.5, '1000', Number.NaN]) {
      expect(() => createLocalFga({ maxResolutionStepsPerRequest: value as number })).toThrow(
        /maxResolutionStepsPerRequest must be a positive integer/,
      );
    }
  });
});
