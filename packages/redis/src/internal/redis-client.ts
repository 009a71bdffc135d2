import { describeThrown } from '@agentgate/core';
import { type Cluster, Redis } from 'ioredis';
import { type StoreOperation, StoreUnavailable, type StoreUnavailableReason } from '../errors';

/** Either kind of ioredis client a store runs on. */
export type RedisClient = Redis | Cluster;

/** A client that gives up quickly: a command waits for one reconnection at most, and never longer than `timeoutMs`. */
export function connect(url: string, timeoutMs: number): Redis {
  const client = new Redis(url, {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  // Errors reach the caller through the operation that hit them; without a listener ioredis prints each one.
  client.on('error', () => {});
  return client;
}

/** Runs one command: settles within `timeoutMs`, and turns every failure into `StoreUnavailable`. */
export async function runCommand<R>(
  operation: StoreOperation,
  timeoutMs: number,
  command: () => Promise<R>,
): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailable(operation, 'timeout', `Redis did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([command(), timeout]);
  } catch (error) {
    if (error instanceof StoreUnavailable) throw error;
    const reason = reasonOf(error);
    throw new StoreUnavailable(operation, reason, describeFailure(reason, error), { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** Redis's own error replies are `ReplyError`s (and cluster redirection failures end in one); the rest is the link. */
function reasonOf(error: unknown): StoreUnavailableReason {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'ReplyError') return 'redis-error';
  const message = describeThrown(error);
  return /timed out/i.test(message) ? 'timeout' : 'disconnected';
}

function describeFailure(reason: StoreUnavailableReason, error: unknown): string {
  const text = describeThrown(error);
  if (reason === 'redis-error') return `Redis answered with an error: ${text.split(/\r?\n/)[0]}`;
  if (reason === 'timeout') return `Redis did not answer in time (${text})`;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'MaxRetriesPerRequestError')
    return 'Redis is unreachable (the client is not connected and could not reconnect)';
  return `Redis is unreachable (${text})`;
}

/** Quits a client the store created: politely within `timeoutMs`, then the connection is dropped either way. */
export async function quit(client: RedisClient, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('quit timed out')), timeoutMs);
      }),
    ]);
  } catch {
    // Redis is gone or slow: drop the connection without waiting.
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
