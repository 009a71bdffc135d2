/** How the login page slows down password guessing. */
export interface LoginThrottleSettings {
  /** Failures of one account before it is locked out. The client address may fail 4× as often. */
  maxFailures: number;
  /** First lockout, seconds; every further failure doubles it (at most 15 minutes). */
  lockoutSeconds: number;
}

/** Why attempts are refused: too many failures for the account, or from the client address. */
export type LockoutReason = 'account' | 'address';

/** A refusal in force: seconds until the next attempt is accepted, and why. */
export interface Lockout {
  retryAfterSeconds: number;
  reason: LockoutReason;
}

/** Resolves a typed login name (username or e-mail) to the account's subject, if there is one. */
export type ResolveLoginName = (name: string) => string | undefined;

interface Entry {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

const maxLockoutMs = 15 * 60 * 1000;
/** Failures are forgotten this long after the last one (once no lockout runs). */
const forgetAfterMs = 15 * 60 * 1000;
const maxEntries = 10_000;
/** Typed names that match no account are counted under their first 256 characters. */
const maxNameLength = 256;

/**
 * Failed-password bookkeeping of the login page, per account and per client address: after
 * `maxFailures` failures of an account (4 × `maxFailures` from one address, so guessing across accounts
 * is slowed down too) every attempt is refused, without checking the password, until the lockout ends;
 * each failure after that doubles the lockout. An account is counted under its subject whichever name
 * was typed (username or e-mail), a name that matches no account under that name (trimmed, lowercased,
 * cut to 256 characters). A successful login clears the account's count; the address's count only
 * fades with time.
 */
export class LoginThrottle {
  readonly #settings: LoginThrottleSettings;
  readonly #resolve: ResolveLoginName;
  readonly #entries = new Map<string, Entry>();

  constructor(settings: LoginThrottleSettings, resolve: ResolveLoginName) {
    this.#settings = settings;
    this.#resolve = resolve;
  }

  /** The lockout this login name or this address is under; undefined when it may try now. */
  lockout(name: string, address: string): Lockout | undefined {
    const now = Date.now();
    const account = this.#entry(this.#accountKey(name), now)?.lockedUntil ?? 0;
    const client = this.#entry(addressKey(address), now)?.lockedUntil ?? 0;
    const lockedUntil = Math.max(account, client);
    if (lockedUntil <= now) return undefined;
    return {
      retryAfterSeconds: Math.ceil((lockedUntil - now) / 1000),
      // The address lockout refuses every account: name it whenever it is in force.
      reason: client > now ? 'address' : 'account',
    };
  }

  recordFailure(name: string, address: string): void {
    const now = Date.now();
    this.#fail(this.#accountKey(name), this.#settings.maxFailures, now);
    this.#fail(addressKey(address), this.#settings.maxFailures * 4, now);
  }

  recordSuccess(name: string): void {
    this.#entries.delete(this.#accountKey(name));
  }

  #accountKey(name: string): string {
    const normalised = name.trim().toLowerCase();
    const sub = this.#resolve(normalised);
    return sub === undefined ? `name:${normalised.slice(0, maxNameLength)}` : `sub:${sub}`;
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

const addressKey = (address: string) => `address:${address}`;
