/** Options of {@link Store.put} and {@link Store.add}. */
export interface StorePutOptions {
  /** Seconds until the record expires; none means it stays until deleted. */
  ttlSeconds?: number;
}

/**
 * Where AgentGate keeps state that must outlive one call: pending approvals, cached tokens, refresh tokens of
 * background sessions. Values are JSON-serialisable. `MemoryStore` is the embedded default; `@agentgate/redis` is
 * the production one.
 */
export interface Store {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put<T = unknown>(key: string, value: T, options?: StorePutOptions): Promise<void>;
  /** Stores only if `key` is absent; `true` when stored. Atomic. */
  add<T = unknown>(key: string, value: T, options?: StorePutOptions): Promise<boolean>;
  /** `true` when a record was deleted. */
  delete(key: string): Promise<boolean>;
  /** Reads and deletes in one atomic step, so a single-use record is used once even under concurrency. */
  take<T = unknown>(key: string): Promise<T | undefined>;
}

/** @internal Validates a TTL and turns it into an absolute expiry in ms (or `undefined`). */
export function expiryOf(options: StorePutOptions | undefined, nowMs: number): number | undefined {
  const ttl = options?.ttlSeconds;
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new TypeError(`store: ttlSeconds must be a positive number, got ${String(ttl)}`);
  }
  return nowMs + ttl * 1000;
}
