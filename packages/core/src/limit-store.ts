import { assertKnownOptions } from './options';

/** What {@link LimitStore.consume} is asked to do with one counter. */
export interface LimitConsumeRequest {
  /** Units this call adds: `1` for a rate limit, an amount for a quota. A finite number, at least 0. */
  readonly cost: number;
  /** The most the counter may hold. A finite number, more than 0. */
  readonly limit: number;
  /**
   * Milliseconds a new counter lives: the rest of its window (the limit guards add a short grace for clocks that lag
   * between processes). Set when the counter is created and never extended, so a window's counter disappears soon
   * after the window ends. A positive integer.
   */
  readonly ttlMs: number;
}

/** What {@link LimitStore.consume} answers. */
export interface LimitConsumeResult {
  /** `true` when `cost` fitted and was added; `false` when it did not and nothing changed. */
  readonly admitted: boolean;
  /** The counter after this request: with the cost when admitted, as it was when not. */
  readonly used: number;
}

/**
 * Where AgentGate keeps counters that must be exact across processes: rate limits and quotas. One operation,
 * `consume`, checks and adds in a single atomic step (no read-modify-write race), so under any concurrency a counter
 * never passes its limit. `MemoryLimitStore` is the embedded default; `@agentgate/redis` has `createRedisLimitStore`
 * (one Lua script per call, one key per counter, Redis Cluster safe).
 */
export interface LimitStore {
  /**
   * Adds `cost` to the counter `key` if the result stays within `limit`; otherwise changes nothing. A counter that does
   * not exist starts at 0 and lives `ttlMs`. A `cost` of 0 reads the counter without creating it.
   *
   * @throws TypeError for an empty key or a request outside the documented ranges; a remote store rejects with its own
   * unavailable error (`STORE_UNAVAILABLE`) when it cannot answer
   */
  consume(key: string, request: LimitConsumeRequest): Promise<LimitConsumeResult>;
}

/**
 * Checks a {@link LimitConsumeRequest} the way every `LimitStore` must, so all backends refuse the same input.
 *
 * @throws TypeError naming the field that is out of range
 */
export function assertLimitRequest(where: string, key: unknown, request: LimitConsumeRequest): void {
  if (typeof key !== 'string' || key.length === 0)
    throw new TypeError(`${where}: key must be a non-empty string`);
  assertKnownOptions(where, request, ['cost', 'limit', 'ttlMs'], 'request');
  const { cost, limit, ttlMs } = request;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) {
    throw new TypeError(`${where}: request.cost must be a finite number of at least 0`);
  }
  if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) {
    throw new TypeError(`${where}: request.limit must be a finite number above 0`);
  }
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new TypeError(`${where}: request.ttlMs must be a positive integer of milliseconds`);
  }
}

/** Options of {@link MemoryLimitStore}. */
export interface MemoryLimitStoreOptions {
  /** Clock in ms, for tests. @default Date.now */
  now?: () => number;
}

interface Counter {
  used: number;
  expiresAt: number;
}

/** Expired counters are swept after this many consumes (each touched counter is checked on every consume anyway). */
const SWEEP_EVERY = 1024;

/**
 * A `LimitStore` in process memory: exact within one process, since `consume` reads and writes with no `await`
 * between. Counters of separate processes are separate — use `createRedisLimitStore` from `@agentgate/redis` when
 * several processes share a limit.
 *
 * @example
 * const counters = new MemoryLimitStore();
 * await counters.consume('user:alice', { cost: 1, limit: 10, ttlMs: 60_000 }); // { admitted: true, used: 1 }
 */
export class MemoryLimitStore implements LimitStore {
  readonly #counters = new Map<string, Counter>();
  readonly #now: () => number;
  #untilSweep = SWEEP_EVERY;

  /** @throws TypeError for an unknown option or a `now` that is not a function */
  constructor(options: MemoryLimitStoreOptions = {}) {
    assertKnownOptions('MemoryLimitStore', options, ['now']);
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new TypeError('MemoryLimitStore: options.now must be a function');
    }
    this.#now = options.now ?? Date.now;
  }

  // No `await` in here: the check and the add are one synchronous step, so concurrent calls cannot interleave.
  async consume(key: string, request: LimitConsumeRequest): Promise<LimitConsumeResult> {
    assertLimitRequest('MemoryLimitStore.consume', key, request);
    const now = this.#now();
    if (--this.#untilSweep <= 0) this.#sweep(now);
    let counter = this.#counters.get(key);
    if (counter !== undefined && counter.expiresAt <= now) {
      this.#counters.delete(key);
      counter = undefined;
    }
    const used = counter?.used ?? 0;
    if (used + request.cost > request.limit) return { admitted: false, used };
    if (request.cost === 0) return { admitted: true, used };
    if (counter === undefined) {
      this.#counters.set(key, { used: request.cost, expiresAt: now + request.ttlMs });
    } else {
      counter.used = used + request.cost;
    }
    return { admitted: true, used: used + request.cost };
  }

  /** Number of live counters (expired ones are dropped first). */
  get size(): number {
    this.#sweep(this.#now());
    return this.#counters.size;
  }

  #sweep(now: number): void {
    this.#untilSweep = SWEEP_EVERY;
    for (const [key, counter] of this.#counters) if (counter.expiresAt <= now) this.#counters.delete(key);
  }
}
