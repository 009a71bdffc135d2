/**
 * One of the processes of `cross-process.test.ts`: connects, prints `ready`, waits for `go` on stdin, then runs `CALLS` concurrent calls through
 * `gate.run` with a Redis-backed guard (`GUARD=rate`: a rate limit; `GUARD=quota`: a spend quota), and prints one JSON
 * line: how many calls ran, how many were RATE_LIMITED, and any other outcome.
 */
import { createInterface } from 'node:readline';
import { createGate, createSession, type Guard } from '@agentgate/core';
import { createRedisLimitStore } from '@agentgate/redis';
import { quota, rateLimit } from '../../src/index';

const { REDIS_URL, CALLS, LIMIT, GUARD, NOW, PREFIX } = process.env;
const now = () => Number(NOW);
const store = createRedisLimitStore({ url: REDIS_URL as string, prefix: PREFIX as string });
const guard: Guard<{ amount: number }> =
  GUARD === 'quota'
    ? quota<{ amount: number }>({
        store,
        key: 'user',
        limit: Number(LIMIT),
        period: 'day',
        cost: ({ args }) => args.amount,
        now,
      })
    : rateLimit<{ amount: number }>({ store, key: 'user', limit: Number(LIMIT), windowSeconds: 3600, now });
const gate = createGate({ audit: false });
const session = createSession({ sub: 'shared-user' });
const tool = { name: 'transfer' };

// Connected and loaded: tell the parent, which releases every worker at once with `go`.
await store.consume('warm-up', { cost: 0, limit: 1, ttlMs: 1000 });
process.stdout.write('ready\n');

for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'go') continue;
  let ran = 0;
  let limited = 0;
  const other: string[] = [];
  await Promise.all(
    Array.from({ length: Number(CALLS) }, () =>
      gate
        .run({ tool, args: { amount: 7 } }, session, [guard], async () => {
          ran += 1;
        })
        .catch((error: { code?: string; message?: string }) => {
          if (error.code === 'RATE_LIMITED') limited += 1;
          else other.push(`${error.code}: ${error.message}`);
        }),
    ),
  );
  process.stdout.write(`${JSON.stringify({ ran, limited, other })}\n`);
  await store.close();
  process.exit(0);
}
