/**
 * `@agentgate/limits`: the rate-limit guard through `gate.run` (audit off), on `MemoryLimitStore` and on
 * `createRedisLimitStore` (one node on loopback) — latency (p50 / p99) one call at a time, and throughput with 64
 * calls in flight — next to the same gate with a no-op guard, so the table shows what the limit adds. The limit is
 * high enough that every call is admitted (a refusal is cheaper and would flatter it). Then the raw `consume` of
 * both stores. Redis rows need `redis-server` (`apt-get install redis-server redis-tools`); without it they are
 * skipped (in CI it fails).
 */
import {
  createGate,
  createSession,
  defineGuard,
  type Guard,
  type LimitStore,
  MemoryLimitStore,
} from '@agentgate/core';
import { quota, rateLimit } from '@agentgate/limits';
import { createRedisLimitStore } from '@agentgate/redis';
import { assertRedisInstalled, startRedisServer } from '../test/support/redis-server.ts';

const SEQUENTIAL = 5_000;
const CONCURRENT = 20_000;
const IN_FLIGHT = 64;
const NEVER_REACHED = 1_000_000_000;

interface Row {
  case: string;
  'p50 µs': string;
  'p99 µs': string;
  'calls / s': string;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

async function concurrently(count: number, operation: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < count) await operation();
    }),
  );
  return (performance.now() - started) / 1000;
}

async function measure(label: string, operation: () => Promise<unknown>): Promise<Row> {
  for (let index = 0; index < 500; index++) await operation(); // warm up
  const latencies: number[] = [];
  for (let index = 0; index < SEQUENTIAL; index++) {
    const start = process.hrtime.bigint();
    await operation();
    latencies.push(Number(process.hrtime.bigint() - start) / 1_000);
  }
  latencies.sort((a, b) => a - b);
  const seconds = await concurrently(CONCURRENT, operation);
  return {
    case: label,
    'p50 µs': percentile(latencies, 0.5).toFixed(1),
    'p99 µs': percentile(latencies, 0.99).toFixed(1),
    'calls / s': (CONCURRENT / seconds).toFixed(0),
  };
}

/** `gate.run` with one guard, audit off. */
function gated(guard: Guard): () => Promise<unknown> {
  const gate = createGate({ audit: false });
  const session = createSession({ sub: 'bench-user' });
  const tool = { name: 'transfer' };
  let callIndex = 0;
  return () =>
    gate.run({ tool, args: { amount: (callIndex++ % 100) + 1 } }, session, [guard], async () => 'done');
}

function limitGuards(label: string, store: LimitStore): [string, Guard][] {
  return [
    [
      `rateLimit, ${label}`,
      rateLimit({ store, key: 'user+tool', limit: NEVER_REACHED, windowSeconds: 3600 }),
    ],
    [
      `quota (cost from args), ${label}`,
      quota<{ amount: number }>({
        store,
        key: 'user',
        limit: NEVER_REACHED,
        period: 'day',
        cost: ({ args }) => args.amount,
      }) as Guard,
    ],
  ];
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  const noop = defineGuard({ name: 'noop', kind: 'policy', check: () => {} });
  rows.push(await measure('gate.run + no-op guard (baseline)', gated(noop)));
  const memory = new MemoryLimitStore();
  for (const [label, guard] of limitGuards('memory', memory)) rows.push(await measure(label, gated(guard)));
  rows.push(
    await measure('MemoryLimitStore.consume alone', () =>
      memory.consume('bench', { cost: 1, limit: NEVER_REACHED, ttlMs: 3_600_000 }),
    ),
  );

  let redisReady = true;
  try {
    await assertRedisInstalled();
  } catch (error) {
    if (process.env.CI) throw error;
    console.log(`Redis rows skipped: ${(error as Error).message}`);
    redisReady = false;
  }
  if (redisReady) {
    const server = await startRedisServer();
    const store = createRedisLimitStore({ url: server.url, prefix: 'bench-limits:' });
    try {
      for (const [label, guard] of limitGuards('Redis', store)) rows.push(await measure(label, gated(guard)));
      rows.push(
        await measure('RedisLimitStore.consume alone', () =>
          store.consume('bench', { cost: 1, limit: NEVER_REACHED, ttlMs: 3_600_000 }),
        ),
      );
    } finally {
      await store.close();
      await server.stop();
    }
  }
  console.log(
    `\n@agentgate/limits: latency over ${SEQUENTIAL} sequential calls, throughput over ${CONCURRENT} calls with ${IN_FLIGHT} in flight (audit off, every call admitted)`,
  );
  console.table(rows);
}
