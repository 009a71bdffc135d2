import {
  assertKnownOptions,
  assertLimitRequest,
  type LimitConsumeRequest,
  type LimitConsumeResult,
  type LimitStore,
} from '@agentgate/core';
import type { Cluster, Redis } from 'ioredis';
import { type StoreOperation, StoreUnavailable } from './errors';
import { CONSUME_SCRIPT, CONSUME_SCRIPT_SHA, parseConsumeReply } from './internal/consume-script';
import { connect, quit, type RedisClient, runCommand } from './internal/redis-client';

/** Options of {@link createRedisLimitStore}. Give exactly one of `client` and `url`. */
export interface RedisLimitStoreOptions {
  /** An ioredis `Redis` or `Cluster` client you own: used as it is, left open by `close()`, and never modified. */
  client?: Redis | Cluster;
  /** `redis://…` or `rediss://…`: the store creates a client that fails fast, and `close()` quits it. */
  url?: string;
  /** Put before every counter's key; empty or ending with `:`. @default 'agentgate:' */
  prefix?: string;
  /** Milliseconds a `consume` may take before it rejects with `StoreUnavailable` (`reason: 'timeout'`). @default 2000 */
  timeoutMs?: number;
}

/** A core `LimitStore` on Redis or Redis Cluster. */
export interface RedisLimitStore extends LimitStore {
  /** The prefix of every Redis key this store writes. */
  readonly prefix: string;
  /** The Redis key a counter is kept under: `${prefix}${key}`. */
  redisKey(key: string): string;
  /** Quits the client created from `url` (a `client` stays open); afterwards `consume` rejects (`closed`). Idempotent. */
  close(): Promise<void>;
}

const WHERE = 'createRedisLimitStore';
const DEFAULT_TIMEOUT_MS = 2000;
/** `StoreUnavailable` names the operation that failed; a limit store has one. */
const CONSUME: StoreOperation = 'consume';

/**
 * Creates the production `LimitStore` of AgentGate: `consume` is one Lua script (`EVALSHA`, loaded with `EVAL` on a
 * node that lacks it) on one key, so the check and the add are atomic across every process sharing the Redis, with no
 * read-modify-write race; and since a script touches one key, it runs unchanged on Redis Cluster. Counters expire with
 * their window (`PX`, then `KEEPTTL`: Redis 6.0 or newer).
 *
 * @example
 * const counters = createRedisLimitStore({ url: process.env.REDIS_URL!, prefix: 'billing-agent:' });
 * const perUser = rateLimit({ store: counters, key: 'user', limit: 60, windowSeconds: 60 });
 * @param options.timeoutMs per `consume`, default 2000 ms
 * @throws TypeError at once for an unknown option, both or neither of `client` and `url`, or a bad prefix or timeout.
 * `consume` rejects with `StoreUnavailable` (`STORE_UNAVAILABLE`) when Redis is down, slow, answers with an error or
 * the store is closed, and with `TypeError` for a request out of range.
 */
export function createRedisLimitStore(options: RedisLimitStoreOptions): RedisLimitStore {
  assertKnownOptions(WHERE, options, ['client', 'url', 'prefix', 'timeoutMs']);
  const { client, url, prefix = 'agentgate:', timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  if ((client === undefined) === (url === undefined)) {
    throw new TypeError(
      `${WHERE}: give exactly one of options.client (an ioredis Redis or Cluster) and options.url`,
    );
  }
  if (client !== undefined && !isScriptingClient(client)) {
    throw new TypeError(`${WHERE}: options.client must be an ioredis Redis or Cluster client`);
  }
  // A URL that does not parse is refused with no cause: the parser's own error would carry the password.
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url) || !URL.canParse(url))) {
    throw new TypeError(`${WHERE}: options.url must be a redis:// or rediss:// URL`);
  }
  if (typeof prefix !== 'string' || (prefix.length > 0 && !prefix.endsWith(':'))) {
    throw new TypeError(`${WHERE}: options.prefix must be empty or a string ending with ':'`);
  }
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`${WHERE}: options.timeoutMs must be a positive number of milliseconds`);
  }
  return new RedisLimitStoreImpl(
    client ?? connect(url as string, timeoutMs),
    client === undefined,
    prefix,
    timeoutMs,
  );
}

type Client = RedisClient;

class RedisLimitStoreImpl implements RedisLimitStore {
  readonly prefix: string;
  readonly #client: Client;
  readonly #owned: boolean;
  readonly #timeoutMs: number;
  #closed: Promise<void> | undefined;

  constructor(client: Client, owned: boolean, prefix: string, timeoutMs: number) {
    this.#client = client;
    this.#owned = owned;
    this.prefix = prefix;
    this.#timeoutMs = timeoutMs;
  }

  redisKey(key: string): string {
    if (typeof key !== 'string' || key.length === 0) {
      throw new TypeError('redis limit store: a key must be a non-empty string');
    }
    return `${this.prefix}${key}`;
  }

  async consume(key: string, request: LimitConsumeRequest): Promise<LimitConsumeResult> {
    assertLimitRequest('redis limit store: consume', key, request);
    const redisKey = this.redisKey(key);
    const args = [String(request.cost), String(request.limit), String(request.ttlMs)];
    const reply = await this.#run(async () => {
      try {
        return await this.#client.evalsha(CONSUME_SCRIPT_SHA, 1, redisKey, ...args);
      } catch (error) {
        // A node that has not seen the script yet (first use, a restart, a failover): send it once in full.
        if (!isNoScript(error)) throw error;
        return this.#client.eval(CONSUME_SCRIPT, 1, redisKey, ...args);
      }
    });
    const result = parseConsumeReply(reply);
    if (result === undefined) {
      throw new StoreUnavailable(
        CONSUME,
        'redis-error',
        'Redis answered the limit script with an unexpected reply',
      );
    }
    return result;
  }

  close(): Promise<void> {
    this.#closed ??= this.#owned ? quit(this.#client, this.#timeoutMs) : Promise.resolve();
    return this.#closed;
  }

  /** Runs the script: settles within `timeoutMs`, and turns every failure into `StoreUnavailable`. */
  async #run<R>(command: () => Promise<R>): Promise<R> {
    if (this.#closed !== undefined) throw new StoreUnavailable(CONSUME, 'closed', 'the store is closed');
    return runCommand(CONSUME, this.#timeoutMs, command);
  }
}

function isNoScript(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.startsWith('NOSCRIPT');
}

function isScriptingClient(value: unknown): value is Client {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['evalsha', 'eval', 'quit'].every((method) => typeof candidate[method] === 'function');
}
