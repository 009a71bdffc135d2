import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startRedisCluster } from '../../../test/support/redis-server';
import { createRedisLimitStore, type RedisLimitStore } from '../src/index';

let cluster: RedisCluster;
let clients: Cluster[] = [];

function connect(): Cluster {
  const client = new Cluster([...cluster.nodes], { enableReadyCheck: true });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
  clients = [];
  await cluster?.stop();
});

describe('createRedisLimitStore on a Redis Cluster', () => {
  it('keeps counters on every master, each exact under concurrency from 3 clients', async () => {
    const stores: RedisLimitStore[] = Array.from({ length: 3 }, () =>
      createRedisLimitStore({ client: connect(), prefix: 'cluster-limits:' }),
    );
    const keys = Array.from({ length: 30 }, (_, index) => `counter:${index}`);
    // 30 counters with limit 7, each asked 20 times, spread over the three clients, all at once.
    const answers = await Promise.all(
      keys.flatMap((key, keyIndex) =>
        Array.from({ length: 20 }, (_, index) =>
          stores[(keyIndex + index) % 3]!.consume(key, { cost: 1, limit: 7, ttlMs: 60_000 }).then(
            (answer) => ({
              key,
              ...answer,
            }),
          ),
        ),
      ),
    );
    for (const key of keys) {
      expect(answers.filter((answer) => answer.key === key && answer.admitted)).toHaveLength(7);
    }

    // The counters live on every master (a script on one key runs on the node that owns it).
    const client = clients[0]!;
    const perNode = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
    expect(perNode).toHaveLength(3);
    for (const count of perNode) expect(count).toBeGreaterThan(0);
    for (const key of keys) expect(await client.get(`cluster-limits:${key}`)).toBe('7');
  });

  it('sums fractional costs exactly on the cluster', async () => {
    const store = createRedisLimitStore({ client: connect(), prefix: 'cluster-limits:' });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => store.consume('spend', { cost: 2.5, limit: 100, ttlMs: 60_000 })),
    );
    expect(answers.filter((answer) => answer.admitted)).toHaveLength(40);
    expect(Math.max(...answers.map((answer) => answer.used))).toBe(100);
  });
});
