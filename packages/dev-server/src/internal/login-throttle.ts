/** How the login page slows down password guessing. */
export interface LoginThrottleSettings {
  /** Failures of one account before it is locked out. The client address may fail 4× as often. */
  maxFailures: number;
  /** First lockout, seconds; every further failure doubles it (at most 15 minutes). */
  lockoutSeconds: number;
}

interface Entry {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

const maxLockoutMs = 15 * 60 * 1000;
/** Failures are forgotten this long after the last one (once no lockout runs). */
const forgetAfterMs = 15 * 60 * 1000;
const maxEntries = 10_000;

/**
 * Failed-password bookkeeping of the login page, per account (the typed login name) and per client
 * address: after `maxFailures` failures of an account (4 × `maxFailures` from one address, so guessing
 * across accounts is slowed down too) every attempt is refused, without checking the password, until
 * the lockout ends; each failure after that doubles the lockout. A successful login clears the
 * account's count; the address's count only fades with time.
 */
export class LoginThrottle {
  readonly #settings: LoginThrottleSettings;
  readonly #entries = new Map<string, Entry>();

  constructor(settings: LoginThrottleSettings) {
    this.#settings = settings;
  }

  /** Seconds until this account may try again from this address; 0 when it may try now. */
  retryAfterSeconds(account: string, address: string): number {
    const now = Date.now();
    const lockedUntil = Math.max(
      this.#entry(accountKey(account), now)?.lockedUntil ?? 0,
      this.#entry(addressKey(address), now)?.lockedUntil ?? 0,
    );
    return lockedUntil > now ? Math.ceil((lockedUntil - now) / 1000) : 0;
  }

  recordFailure(account: string, address: string): void {
    const now = Date.now();
    this.#fail(accountKey(account), this.#settings.maxFailures, now);
    this.#fail(addressKey(address), this.#settings.maxFailures * 4, now);
  }

  recordSuccess(account: string): void {
    this.#entries.delete(accountKey(account));
  }

  #entry(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.lockedUntil <= now && now - entry.lastFailureAt > forgetAfterMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #fail(key: string, limit: number, now: number): void {
    const entry = this.#entry(key, now) ?? { failures: 0, lastFailureAt: now, lockedUntil: 0 };
    entry.failures += 1;
    entry.lastFailureAt = now;
    if (entry.failures >= limit) {
      const lockoutMs = this.#settings.lockoutSeconds * 1000 * 2 ** Math.min(entry.failures - limit, 20);
      entry.lockedUntil = now + Math.min(lockoutMs, maxLockoutMs);
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > maxEntries) {
      // Oldest first (insertion order): drop the least recently failed.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}

const accountKey = (account: string) => `account:${account.trim().toLowerCase()}`;
const addressKey = (address: string) => `address:${address}`;
