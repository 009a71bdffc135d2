import { assertKnownOptions, describeThrown, type Store, type StorePutOptions } from '@agentgate/core';
import type { Cluster, Redis } from 'ioredis';
import type { EncryptionKey } from './encryption-key-id';
import { type StoreOperation, StoreUnavailable, StoreValueRejected } from './errors';
import { connect, quit, type RedisClient, runCommand } from './internal/redis-client';
import { isSealed, parseKeys, ValueCipher } from './internal/value-cipher';

/** Authenticated encryption of stored values (AES-256-GCM), with key rotation. */
export interface RedisStoreEncryption {
  /**
   * `[current, ...previous]`: 32-byte keys as bytes or base64url text. The first encrypts every new value; each
   * decrypts the values whose ciphertext names its id (see `encryptionKeyId`). Rotate by putting a new key first and
   * keeping the old ones until every value written under them has expired or been rewritten.
   */
  keys: readonly EncryptionKey[];
}

/** Options of {@link createRedisStore}. Give exactly one of `client` and `url`. */
export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster` client you own: the store uses it as it is and `close()` leaves it open. */
  client?: Redis | Cluster;
  /**
   * `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (TLS): the store creates a client that fails fast
   * when Redis is unreachable, and `close()` quits it.
   */
  url?: string;
  /** Put before every key: `${prefix}${key}`; empty or ending with `:`, so two prefixes never overlap. @default 'agentgate:' */
  prefix?: string;
  /** Encrypt values at rest. @default none: values are stored as plain JSON */
  encryption?: RedisStoreEncryption;
  /**
   * Milliseconds an operation may take before it rejects with `StoreUnavailable` (`reason: 'timeout'`), however the
   * client is configured. @default 2000
   */
  timeoutMs?: number;
}

/** A core `Store` on Redis or Redis Cluster. */
export interface RedisStore extends Store {
  /** The prefix of every Redis key this store writes. */
  readonly prefix: string;
  /** The Redis key a store key is kept under: `${prefix}${key}`. */
  redisKey(key: string): string;
  /**
   * Quits the client the store created from `url` (a client passed as `client` stays open). Afterwards every operation
   * rejects with `StoreUnavailable` (`reason: 'closed'`). Idempotent.
   */
  close(): Promise<void>;
}

const WHERE = 'createRedisStore';
const KNOWN = ['client', 'url', 'prefix', 'encryption', 'timeoutMs'];
const DEFAULT_TIMEOUT_MS = 2000;

/**
 * Creates the production `Store` of AgentGate on Redis (or Redis Cluster, through an ioredis `Cluster`): values as
 * JSON, TTLs kept by Redis, `add` as `SET NX`, `take` as `GETDEL` (Redis 6.2 or newer), optional AES-256-GCM
 * encryption with key rotation. Every operation touches one key, so it works unchanged on a cluster.
 *
 * @example
 * const store = createRedisStore({
 *   url: process.env.REDIS_URL!,
 *   prefix: 'billing-agent:',
 *   encryption: { keys: [process.env.REDIS_STORE_KEY!] },
 * });
 * await store.put('approval:42', { state: 'pending' }, { ttlSeconds: 300 });
 * @param options.client an ioredis `Redis` or `Cluster` (or `url`)
 * @param options.url a Redis URL (or `client`)
 * @param options.prefix default `'agentgate:'`
 * @param options.encryption `{ keys: [current, ...previous] }`, 32-byte keys
 * @param options.timeoutMs per operation, default 2000 ms
 * @throws TypeError at once for an unknown option, both or neither of `client` and `url`, or a bad key, prefix or
 * timeout. Operations reject with `StoreUnavailable` (`STORE_UNAVAILABLE`) and `StoreValueRejected`
 * (`STORE_VALUE_REJECTED`), and with `TypeError` for a bad key, TTL or a value that is not JSON.
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  assertKnownOptions(WHERE, options, KNOWN);
  const { client, url, prefix = 'agentgate:', encryption, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  if ((client === undefined) === (url === undefined)) {
    throw new TypeError(
      `${WHERE}: give exactly one of options.client (an ioredis Redis or Cluster) and options.url`,
    );
  }
  if (client !== undefined && !isRedisClient(client)) {
    throw new TypeError(`${WHERE}: options.client must be an ioredis Redis or Cluster client`);
  }
  // A URL that does not parse is refused here, with no cause: the parser's own error carries the URL, password and all.
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url) || !URL.canParse(url))) {
    throw new TypeError(`${WHERE}: options.url must be a redis:// or rediss:// URL`);
  }
  if (typeof prefix !== 'string') throw new TypeError(`${WHERE}: options.prefix must be a string`);
  // 'app' and 'app:' would overlap ('app' + ':x' is 'app:' + 'x'): a prefix ends with its separator.
  if (prefix.length > 0 && !prefix.endsWith(':')) {
    throw new TypeError(`${WHERE}: options.prefix must be empty or end with ':' (for example '${prefix}:')`);
  }
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`${WHERE}: options.timeoutMs must be a positive number of milliseconds`);
  }
  let cipher: ValueCipher | undefined;
  if (encryption !== undefined) {
    assertKnownOptions(WHERE, encryption, ['keys'], 'options.encryption');
    cipher = new ValueCipher(parseKeys(encryption.keys, WHERE));
  }
  return new RedisStoreImpl(
    client ?? connect(url!, timeoutMs),
    client === undefined,
    prefix,
    cipher,
    timeoutMs,
  );
}

type Client = RedisClient;

class RedisStoreImpl implements RedisStore {
  readonly prefix: string;
  readonly #client: Client;
  readonly #owned: boolean;
  readonly #cipher: ValueCipher | undefined;
  readonly #timeoutMs: number;
  #closed: Promise<void> | undefined;

  constructor(
    client: Client,
    owned: boolean,
    prefix: string,
    cipher: ValueCipher | undefined,
    timeoutMs: number,
  ) {
    this.#client = client;
    this.#owned = owned;
    this.prefix = prefix;
    this.#cipher = cipher;
    this.#timeoutMs = timeoutMs;
  }

  redisKey(key: string): string {
    if (typeof key !== 'string' || key.length === 0)
      throw new TypeError('redis store: a key must be a non-empty string');
    return `${this.prefix}${key}`;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const redisKey = this.redisKey(key);
    const stored = await this.#run('get', () => this.#client.get(redisKey));
    return this.#decode<T>(stored, redisKey, 'get');
  }

  async put<T = unknown>(key: string, value: T, options?: StorePutOptions): Promise<void> {
    const redisKey = this.redisKey(key);
    const stored = this.#encode(value, redisKey, 'put');
    const ttlMs = ttlOf(options);
    await this.#run('put', () =>
      ttlMs === undefined
        ? this.#client.set(redisKey, stored)
        : this.#client.set(redisKey, stored, 'PX', ttlMs),
    );
  }

  async add<T = unknown>(key: string, value: T, options?: StorePutOptions): Promise<boolean> {
    const redisKey = this.redisKey(key);
    const stored = this.#encode(value, redisKey, 'add');
    const ttlMs = ttlOf(options);
    const reply = await this.#run('add', () =>
      ttlMs === undefined
        ? this.#client.set(redisKey, stored, 'NX')
        : this.#client.set(redisKey, stored, 'PX', ttlMs, 'NX'),
    );
    return reply === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    const redisKey = this.redisKey(key);
    return (await this.#run('delete', () => this.#client.del(redisKey))) > 0;
  }

  async take<T = unknown>(key: string): Promise<T | undefined> {
    const redisKey = this.redisKey(key);
    const stored = await this.#run('take', () => this.#client.getdel(redisKey));
    return this.#decode<T>(stored, redisKey, 'take');
  }

  close(): Promise<void> {
    this.#closed ??= this.#owned ? quit(this.#client, this.#timeoutMs) : Promise.resolve();
    return this.#closed;
  }

  #encode(value: unknown, redisKey: string, operation: StoreOperation): string {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      throw new TypeError(
        `redis store: ${operation}: the value is not JSON-serialisable (${describeThrown(error)})`,
      );
    }
    if (json === undefined) {
      throw new TypeError(`redis store: ${operation}: the value is not JSON-serialisable (${typeof value})`);
    }
    return this.#cipher === undefined ? json : this.#cipher.seal(json, redisKey);
  }

  #decode<T>(stored: string | null, redisKey: string, operation: StoreOperation): T | undefined {
    if (stored === null) return undefined;
    let json = stored;
    if (this.#cipher !== undefined) json = this.#cipher.open(stored, redisKey, operation);
    else if (isSealed(stored)) {
      throw new StoreValueRejected(
        operation,
        'no-keys',
        'the value is encrypted, and this store has no encryption keys',
      );
    }
    try {
      return JSON.parse(json) as T;
    } catch {
      throw new StoreValueRejected(operation, 'malformed', 'the value is not valid JSON');
    }
  }

  /** Runs one command: settles within `timeoutMs`, and turns every failure into `StoreUnavailable`. */
  async #run<R>(operation: StoreOperation, command: () => Promise<R>): Promise<R> {
    if (this.#closed !== undefined) throw new StoreUnavailable(operation, 'closed', 'the store is closed');
    return runCommand(operation, this.#timeoutMs, command);
  }
}

/** `ttlSeconds` as whole milliseconds for `PX`, or `undefined` when there is none. @throws TypeError */
function ttlOf(options: StorePutOptions | undefined): number | undefined {
  const ttl = options?.ttlSeconds;
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new TypeError(`redis store: ttlSeconds must be a positive number, got ${String(ttl)}`);
  }
  return Math.max(1, Math.ceil(ttl * 1000));
}

function isRedisClient(value: unknown): value is Client {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['get', 'set', 'del', 'getdel'].every((method) => typeof candidate[method] === 'function');
}
