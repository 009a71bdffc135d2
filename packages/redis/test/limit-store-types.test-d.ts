import type { LimitStore } from '@agentgate/core';
import type { Cluster, Redis } from 'ioredis';
import { expectTypeOf, test } from 'vitest';
import { createRedisLimitStore, type RedisLimitStore, type RedisLimitStoreOptions } from '../src/index';

test('a RedisLimitStore is a core LimitStore, from a Redis or a Cluster client', () => {
  expectTypeOf(createRedisLimitStore).returns.toEqualTypeOf<RedisLimitStore>();
  expectTypeOf<RedisLimitStore>().toExtend<LimitStore>();
  expectTypeOf<Redis>().toExtend<NonNullable<RedisLimitStoreOptions['client']>>();
  expectTypeOf<Cluster>().toExtend<NonNullable<RedisLimitStoreOptions['client']>>();
});
