import { assertKnownOptions, defineGuard, type Guard, type LimitStore } from '@agentgate/core';
import { describeKey } from './internal/counter-key';
import { chargeOrDeny } from './internal/limit-check';
import {
  assertLimitKey,
  assertOnStoreError,
  assertOptionalFunction,
  assertOptionalName,
  assertPositiveInteger,
  assertStore,
} from './internal/validate';
import { fixedWindow } from './internal/windows';
import type { LimitKey } from './limit-key';
import type { OnStoreError } from './on-store-error';

/** Options of {@link rateLimit}. */
export interface RateLimitOptions<Args = unknown> {
  /** Where the counters live: `new MemoryLimitStore()` (one process) or `createRedisLimitStore(…)` (shared). */
  store: LimitStore;
  /** Whose counter a call counts against. */
  key: LimitKey<Args>;
  /** Calls allowed per window: a positive integer. */
  limit: number;
  /** The window's length in seconds (a positive integer). Windows are fixed and aligned to the Unix epoch. */
  windowSeconds: number;
  /** When the store fails. @default 'deny' */
  onStoreError?: OnStoreError;
  /**
   * The guard's name in audit events and errors, and part of every counter's key: two guards with the same name and
   * key share their counters (one budget over several tools). @default `rateLimit(<key>, <limit>/<window>s)`
   */
  name?: string;
  /** Clock in ms, for tests. @default Date.now */
  now?: () => number;
}

/** The `details` of a `RATE_LIMITED` denial from {@link rateLimit}. */
export interface RateLimitDetails {
  readonly limit: number;
  readonly windowSeconds: number;
  /** Seconds until the window ends (whole seconds, at least 1). */
  readonly retryAfter: number;
}

const KNOWN = ['store', 'key', 'limit', 'windowSeconds', 'onStoreError', 'name', 'now'];

/**
 * A guard (kind `'limit'`) that lets at most `limit` calls through per fixed window of `windowSeconds` for each key.
 * Each call it admits counts, whatever later guards or the tool then do. Windows are fixed, so up to twice `limit`
 * calls can pass around a window's end (the end of one window and the start of the next).
 *
 * @example
 * const perUser = rateLimit({ store: new MemoryLimitStore(), key: 'user', limit: 20, windowSeconds: 60 });
 * const search = gate.protect(searchTool, [requireScopes('search'), perUser], execute);
 * @param options.onStoreError `'deny'` (default) or `'allow'`
 * @throws TypeError at creation for an unknown option or a value out of range
 * @throws GateDenied `RATE_LIMITED` (`details`: {@link RateLimitDetails}) over the limit; `GUARD_FAILED` when the store
 * fails (unless `onStoreError: 'allow'`) or a key function misbehaves; `FORBIDDEN` for `key: 'tenant'` on a session
 * without a tenant
 */
export function rateLimit<Args = unknown>(options: RateLimitOptions<Args>): Guard<Args> {
  const where = 'rateLimit';
  assertKnownOptions(where, options, KNOWN);
  assertStore(where, 'options.store', options.store, ['consume']);
  assertLimitKey(where, options.key);
  assertPositiveInteger(where, 'options.limit', options.limit);
  assertPositiveInteger(where, 'options.windowSeconds', options.windowSeconds);
  assertOnStoreError(where, options.onStoreError);
  assertOptionalName(where, options.name);
  assertOptionalFunction(where, 'options.now', options.now);
  const { store, key, limit, windowSeconds, onStoreError = 'deny', now = Date.now } = options;
  const name = options.name ?? `rateLimit(${describeKey(key)}, ${limit}/${windowSeconds}s)`;
  const windowMs = windowSeconds * 1000;
  return defineGuard<Args>({
    name,
    kind: 'limit',
    check: (context) =>
      chargeOrDeny(context, {
        name,
        store,
        key,
        limit,
        onStoreError,
        now,
        windowOf: (nowMs) => fixedWindow(nowMs, windowMs),
        cost: 1,
        facts: { limit, windowSeconds },
        describe: `${limit} calls per ${windowSeconds}s`,
      }),
  });
}
