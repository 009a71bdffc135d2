import type { Store } from '@agentgate/core';
import type { Cluster, Redis } from 'ioredis';
import { expectTypeOf, test } from 'vitest';
import {
  createRedisStore,
  isRedisStoreError,
  type RedisStore,
  type RedisStoreErrorCode,
  type RedisStoreOptions,
  type StoreUnavailable,
  type StoreValueRejected,
} from '../src/index';

test('a RedisStore is a core Store, from a Redis or a Cluster client', () => {
  expectTypeOf(createRedisStore).returns.toEqualTypeOf<RedisStore>();
  expectTypeOf<RedisStore>().toExtend<Store>();
  expectTypeOf<Redis>().toExtend<NonNullable<RedisStoreOptions['client']>>();
  expectTypeOf<Cluster>().toExtend<NonNullable<RedisStoreOptions['client']>>();
});

test('the error guard narrows on code and details', () => {
  const error: unknown = undefined;
  if (isRedisStoreError(error)) {
    expectTypeOf(error.code).toEqualTypeOf<RedisStoreErrorCode>();
    if (error.code === 'STORE_UNAVAILABLE') {
      expectTypeOf(error).toEqualTypeOf<StoreUnavailable>();
      expectTypeOf(error.details.reason).toEqualTypeOf<StoreUnavailable['details']['reason']>();
    } else {
      expectTypeOf(error).toEqualTypeOf<StoreValueRejected>();
      expectTypeOf(error.details.keyId).toEqualTypeOf<string | undefined>();
    }
  }
});
