import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startRedisCluster } from '../../../test/support/redis-server';
import { createRedisStore, type RedisStore } from '../src/index';

let cluster: RedisCluster;
let clients: Cluster[] = [];
let store: RedisStore;
const keys = [randomBytes(32)];

function connect(): Cluster {
  const client = new Cluster([...cluster.nodes], { enableReadyCheck: true });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  cluster = await startRedisCluster();
  store = createRedisStore({
    client: connect(),
    prefix: 'cluster:',
    encryption: { keys },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
  clients = [];
  await cluster?.stop();
});

describe('createRedisStore on a Redis Cluster', () => {
  it('spreads keys over every master and keeps the Store contract on each', async () => {
    const keys = Array.from({ length: 200 }, (_, index) => `record:${index}`);
    await Promise.all(keys.map((key, index) => store.put(key, { index }, { ttlSeconds: 60 })));
    await expect(Promise.all(keys.map((key) => store.get(key)))).resolves.toEqual(
      keys.map((_, index) => ({ index })),
    );

    // Every master holds some of them.
    const client = clients[0]!;
    const perNode = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
    expect(perNode).toHaveLength(3);
    for (const count of perNode) expect(count).toBeGreaterThan(20);

    await expect(Promise.all(keys.map((key) => store.add(key, 'again')))).resolves.toEqual(
      keys.map(() => false),
    );
    await expect(Promise.all(keys.map((key) => store.take(key)))).resolves.toEqual(
      keys.map((_, index) => ({ index })),
    );
    await expect(Promise.all(keys.map((key) => store.get(key)))).resolves.toEqual(keys.map(() => undefined));
    await expect(Promise.all(keys.map((key) => store.add(key, 1, { ttlSeconds: 30 })))).resolves.toEqual(
      keys.map(() => true),
    );
    await expect(Promise.all(keys.map((key) => store.delete(key)))).resolves.toEqual(keys.map(() => true));
  });

  it('add and take stay atomic across clients: 20 racers, one winner each', async () => {
    const stores = [
      store,
      ...Array.from({ length: 3 }, () =>
        createRedisStore({ client: connect(), prefix: 'cluster:', encryption: { keys } }),
      ),
    ];
    for (let round = 0; round < 5; round++) {
      const key = `race:${round}:${randomBytes(4).toString('hex')}`;
      const added = await Promise.all(
        Array.from({ length: 20 }, (_, index) => stores[index % 4]!.add(key, index)),
      );
      expect(added.filter(Boolean)).toHaveLength(1);
      await expect(store.get(key)).resolves.toBe(added.indexOf(true));
      const taken = await Promise.all(Array.from({ length: 20 }, (_, index) => stores[index % 4]!.take(key)));
      expect(taken.filter((value) => value !== undefined)).toEqual([added.indexOf(true)]);
    }
  });

  it('expires on the node that holds the key', async () => {
    await store.put('short', 'v', { ttlSeconds: 0.2 });
    await expect(store.get('short')).resolves.toBe('v');
    await expect.poll(() => store.get('short'), { timeout: 2000, interval: 20 }).toBeUndefined();
  });
});
