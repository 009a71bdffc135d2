/**
 * `@agentgate/redis` against real Redis on loopback: latency (p50 / p99) of `put`, `get` and `take` one call at a
 * time, and throughput with 64 calls in flight, for plain and encrypted values, on one node and on a 3-master
 * cluster. Needs `redis-server` and `redis-cli` (`apt-get install redis-server redis-tools`); without them it says
 * so and measures nothing (in CI it fails).
 */
import { randomBytes } from 'node:crypto';
import { createRedisStore, type RedisStore } from '@agentgate/redis';
// ioredis is not a dependency of the bench package yet (adding it changes the lockfile): take the copy
// @agentgate/redis uses until it is.
import { Cluster } from 'ioredis';
import { assertRedisInstalled, startRedisCluster, startRedisServer } from '../test/support/redis-server.ts';

const SEQUENTIAL = 2_000;
const CONCURRENT = 10_000;
const IN_FLIGHT = 64;
/** A cached token's worth of JSON. */
const VALUE = {
  accessToken: randomBytes(600).toString('base64url'),
  expiresAt: 1_900_000_000,
  scopes: ['events.read', 'events.write'],
};

interface Row {
  case: string;
  operation: string;
  'p50 µs': string;
  'p99 µs': string;
  'ops / s': string;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

/** Runs `operation(0 … count - 1)` with `IN_FLIGHT` calls at a time; resolves to the seconds it took. */
async function concurrently(count: number, operation: (index: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await operation(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

async function measure(label: string, store: RedisStore): Promise<Row[]> {
  const put = (index: number) => store.put(`bench:${index}`, VALUE, { ttlSeconds: 300 });
  const operations: Record<string, (index: number) => Promise<unknown>> = {
    put,
    get: (index) => store.get(`bench:${index}`),
    take: (index) => store.take(`bench:${index}`),
  };
  const rows: Row[] = [];
  for (const [name, operation] of Object.entries(operations)) {
    // get and take read records that exist (a miss is cheaper and would flatter them).
    await concurrently(name === 'put' ? 200 : SEQUENTIAL, put);
    for (let index = 0; index < 200; index++) await store.get(`bench:${index}`); // warm up
    const latencies: number[] = [];
    for (let index = 0; index < SEQUENTIAL; index++) {
      const start = process.hrtime.bigint();
      await operation(index);
      latencies.push(Number(process.hrtime.bigint() - start) / 1_000);
    }
    latencies.sort((a, b) => a - b);
    if (name !== 'put') await concurrently(CONCURRENT, put);
    const seconds = await concurrently(CONCURRENT, operation);
    rows.push({
      case: label,
      operation: name,
      'p50 µs': percentile(latencies, 0.5).toFixed(0),
      'p99 µs': percentile(latencies, 0.99).toFixed(0),
      'ops / s': (CONCURRENT / seconds).toFixed(0),
    });
  }
  return rows;
}

export async function run(): Promise<void> {
  try {
    await assertRedisInstalled();
  } catch (error) {
    if (process.env.CI) throw error;
    console.log(`skipped: ${(error as Error).message}`);
    return;
  }
  const encryption = { keys: [randomBytes(32)] };
  const rows: Row[] = [];
  const server = await startRedisServer();
  try {
    for (const [label, options] of [
      ['one node, plain', {}],
      ['one node, encrypted', { encryption }],
    ] as const) {
      const store = createRedisStore({ url: server.url, prefix: 'bench:', ...options });
      try {
        rows.push(...(await measure(label, store)));
      } finally {
        await store.close();
      }
    }
  } finally {
    await server.stop();
  }
  const cluster = await startRedisCluster();
  const client = new Cluster([...cluster.nodes]);
  try {
    rows.push(...(await measure('3-master cluster, plain', createRedisStore({ client, prefix: 'bench:' }))));
    rows.push(
      ...(await measure(
        '3-master cluster, encrypted',
        createRedisStore({ client, prefix: 'bench:', encryption }),
      )),
    );
  } finally {
    client.disconnect();
    await cluster.stop();
  }
  console.log(
    `\n@agentgate/redis on loopback: latency over ${SEQUENTIAL} sequential calls, throughput over ${CONCURRENT} calls with ${IN_FLIGHT} in flight (${JSON.stringify(VALUE).length}-byte JSON value)`,
  );
  console.table(rows);
}
