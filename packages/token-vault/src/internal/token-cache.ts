import type { SealedStore } from './sealed-store';

/** A token as the cache keeps it. `expiresAt` is in epoch seconds. */
export interface CachedToken {
  accessToken: string;
  expiresAt: number | undefined;
  scopes: string[];
  connection: string;
}

/** Who a cached token belongs to and what it is for: every part of it is in the key. */
export interface CacheIdentity {
  issuer: string;
  clientId: string;
  userIssuer: string;
  sub: string;
  tenant: string | undefined;
  connection: string;
  /** Auth0 dialect: the `login_hint` sent with the exchange (it may select another account at the provider). */
  loginHint: string | undefined;
}

/** One load in progress, shared by every caller waiting for the same key. */
interface Flight {
  readonly promise: Promise<CachedToken>;
  readonly controller: AbortController;
  waiters: number;
}

const MAX_MEMORY_ENTRIES = 10_000;

/**
 * The cache key of a token: every part of the identity plus the scope set, in a fixed order. In a store the key is
 * hashed first, so store keys name no user, tenant or connection.
 */
export function tokenKey(identity: CacheIdentity, scopes: readonly string[]): string {
  return JSON.stringify([
    'token',
    identity.issuer,
    identity.clientId,
    identity.userIssuer,
    identity.sub,
    identity.tenant ?? null,
    identity.connection,
    identity.loginHint ?? null,
    ...[...new Set(scopes)].sort(),
  ]);
}

/** The key of what a user granted for a connection (any scope set). */
export function grantKey(identity: CacheIdentity): string {
  return JSON.stringify([
    'grant',
    identity.issuer,
    identity.clientId,
    identity.userIssuer,
    identity.sub,
    identity.tenant ?? null,
    identity.connection,
    identity.loginHint ?? null,
  ]);
}

/**
 * Cached values in process memory or in an encrypted store, with single-flight loading: concurrent misses for one
 * key share one load.
 */
export class TokenCache {
  readonly #memory = new Map<string, { value: unknown; expiresAtMs: number | undefined }>();
  readonly #flights = new Map<string, Flight>();
  readonly #store: SealedStore | undefined;
  readonly #now: () => number;
  readonly #skewMs: number;

  constructor(options: { store: SealedStore | undefined; now: () => number; skewSeconds: number }) {
    this.#store = options.store;
    this.#now = options.now;
    this.#skewMs = options.skewSeconds * 1000;
  }

  /**
   * A live token for `key` (fresh beyond the skew), or the one `load` gets — once for all concurrent callers. A caller
   * whose `signal` fires stops waiting; when every waiting caller has gone, the load itself is aborted.
   */
  getOrLoad(
    key: string,
    load: (signal: AbortSignal) => Promise<CachedToken>,
    signal?: AbortSignal,
  ): Promise<CachedToken> {
    if (!this.#store) {
      const hit = this.#memoryGet<CachedToken>(key);
      if (hit && this.#fresh(hit)) return Promise.resolve(hit);
    }
    signal?.throwIfAborted();
    let flight = this.#flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const promise = (async () => {
        const cached = this.#store ? await this.#store.get<CachedToken>(key) : undefined;
        if (cached && this.#fresh(cached)) return cached;
        const token = await load(controller.signal);
        if (token.expiresAt !== undefined && this.#fresh(token)) {
          await this.put(key, token, token.expiresAt * 1000 - this.#skewMs);
        }
        return token;
      })();
      const started: Flight = { promise, controller, waiters: 0 };
      promise
        .finally(() => {
          if (this.#flights.get(key) === started) this.#flights.delete(key);
        })
        .catch(() => undefined);
      this.#flights.set(key, started);
      flight = started;
    }
    return this.#wait(key, flight, signal);
  }

  #wait(key: string, flight: Flight, signal: AbortSignal | undefined): Promise<CachedToken> {
    flight.waiters += 1;
    if (!signal) return flight.promise;
    return new Promise<CachedToken>((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason);
        flight.waiters -= 1;
        if (flight.waiters === 0) {
          if (this.#flights.get(key) === flight) this.#flights.delete(key);
          flight.controller.abort(signal.reason);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (token) => {
          signal.removeEventListener('abort', onAbort);
          resolve(token);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.#store ? this.#store.get<T>(key) : this.#memoryGet<T>(key);
  }

  /** Stores `value` until `expiresAtMs` (epoch ms), or without expiry. */
  async put(key: string, value: unknown, expiresAtMs: number | undefined): Promise<void> {
    if (this.#store) {
      const ttlSeconds =
        expiresAtMs === undefined ? undefined : Math.max(1, Math.floor((expiresAtMs - this.#now()) / 1000));
      await this.#store.put(key, value, ttlSeconds);
      return;
    }
    if (this.#memory.size >= MAX_MEMORY_ENTRIES) this.#prune();
    this.#memory.delete(key);
    this.#memory.set(key, { value, expiresAtMs });
  }

  async delete(key: string): Promise<boolean> {
    return this.#store ? this.#store.delete(key) : this.#memory.delete(key);
  }

  #fresh(token: CachedToken): boolean {
    return token.expiresAt !== undefined && token.expiresAt * 1000 - this.#skewMs > this.#now();
  }

  #memoryGet<T>(key: string): T | undefined {
    const entry = this.#memory.get(key);
    if (!entry) return undefined;
    if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= this.#now()) {
      this.#memory.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  /** Drops expired entries, then the oldest until there is room. */
  #prune(): void {
    const now = this.#now();
    for (const [key, entry] of this.#memory) {
      if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= now) this.#memory.delete(key);
    }
    for (const key of this.#memory.keys()) {
      if (this.#memory.size < MAX_MEMORY_ENTRIES) break;
      this.#memory.delete(key);
    }
  }
}
