import {
  assertKnownOptions,
  defineGuard,
  GateDenied,
  type Guard,
  type LimitStore,
  toSessionView,
} from '@agentgate/core';
import { describeKey } from './internal/counter-key';
import { chargeOrDeny } from './internal/limit-check';
import {
  assertLimitKey,
  assertOnStoreError,
  assertOptionalFunction,
  assertOptionalName,
  assertPositiveNumber,
  assertStore,
} from './internal/validate';
import { calendarWindow, QUOTA_PERIODS, type QuotaPeriod } from './internal/windows';
import type { LimitKey, LimitKeyInput } from './limit-key';
import type { OnStoreError } from './on-store-error';

export type { QuotaPeriod } from './internal/windows';

/** Options of {@link quota}. */
export interface QuotaOptions<Args = unknown> {
  /** Where the counters live: `new MemoryLimitStore()` (one process) or `createRedisLimitStore(…)` (shared). */
  store: LimitStore;
  /** Whose budget a call is charged to. */
  key: LimitKey<Args>;
  /** The budget per period, in the units `cost` returns (a finite number above 0). Prefer integer units (cents). */
  limit: number;
  /** `'day'` (00:00–24:00 UTC) or `'month'` (from the 1st, UTC). */
  period: QuotaPeriod;
  /**
   * What one call costs, from the validated arguments: `({ args }) => args.amountCents`. Must return a finite number
   * of at least 0, else the call is denied (`INVALID_ARGUMENTS`). @default every call costs 1 (a call quota)
   */
  cost?: (input: LimitKeyInput<Args>) => number | Promise<number>;
  /** When the store fails. @default 'deny' */
  onStoreError?: OnStoreError;
  /**
   * The guard's name in audit events and errors, and part of every counter's key: two guards with the same name and
   * key share one budget. @default `quota(<key>, <limit>/<period>)`
   */
  name?: string;
  /** Clock in ms, for tests. @default Date.now */
  now?: () => number;
}

/** The `details` of a `RATE_LIMITED` denial from {@link quota}. */
export interface QuotaDetails {
  readonly limit: number;
  readonly period: QuotaPeriod;
  /** Seconds until the period ends (whole seconds, at least 1). */
  readonly retryAfter: number;
}

const KNOWN = ['store', 'key', 'limit', 'period', 'cost', 'onStoreError', 'name', 'now'];

/**
 * A guard (kind `'limit'`) that charges each call's `cost` to a daily or monthly budget per key, and denies a call
 * whose cost no longer fits. Only admitted calls are charged, and a charge stays: if a later guard denies or the tool
 * fails, the amount is not given back. Each run is charged: put a spend quota after guards that may deny or interrupt (a
 * step-up, an approval in `mode: 'interrupt'`: the call runs again once the user acted, and would be charged twice).
 *
 * @example
 * const spend = quota({
 *   store: createRedisLimitStore({ url: process.env.REDIS_URL! }),
 *   key: 'user',
 *   limit: 50_000, // cents
 *   period: 'day',
 *   cost: ({ args }) => args.amountCents,
 * });
 * @throws TypeError at creation for an unknown option or a value out of range
 * @throws GateDenied `RATE_LIMITED` (`details`: {@link QuotaDetails}) when the cost does not fit the rest of the
 * budget; `FORBIDDEN` when it is larger than the whole budget (no wait would help); `INVALID_ARGUMENTS` when `cost`
 * returns anything but a finite number ≥ 0; `GUARD_FAILED` when the store fails (unless `onStoreError: 'allow'`)
 */
export function quota<Args = unknown>(options: QuotaOptions<Args>): Guard<Args> {
  const where = 'quota';
  assertKnownOptions(where, options, KNOWN);
  assertStore(where, 'options.store', options.store, ['consume']);
  assertLimitKey(where, options.key);
  assertPositiveNumber(where, 'options.limit', options.limit);
  if (!QUOTA_PERIODS.includes(options.period)) {
    throw new TypeError(
      `${where}: options.period must be ${QUOTA_PERIODS.map((period) => `'${period}'`).join(' or ')}`,
    );
  }
  assertOptionalFunction(where, 'options.cost', options.cost);
  assertOnStoreError(where, options.onStoreError);
  assertOptionalName(where, options.name);
  assertOptionalFunction(where, 'options.now', options.now);
  const { store, key, limit, period, cost, onStoreError = 'deny', now = Date.now } = options;
  const name = options.name ?? `quota(${describeKey(key)}, ${limit}/${period})`;
  return defineGuard<Args>({
    name,
    kind: 'limit',
    async check(context) {
      const charge =
        cost === undefined
          ? 1
          : await cost({ session: toSessionView(context.session), tool: context.tool, args: context.args });
      if (typeof charge !== 'number' || !Number.isFinite(charge) || charge < 0) {
        throw new GateDenied(
          'INVALID_ARGUMENTS',
          `${name}: the cost of this call is not a finite number of at least 0`,
          {
            guard: name,
            details: { issues: [{ path: '', message: 'cost must be a finite number of at least 0' }] },
          },
        );
      }
      if (charge > limit) {
        throw new GateDenied(
          'FORBIDDEN',
          `'${context.tool.name}' costs more than the whole ${period} budget of ${limit}`,
          {
            guard: name,
            details: { limit, period },
          },
        );
      }
      await chargeOrDeny(context, {
        name,
        store,
        key,
        limit,
        onStoreError,
        now,
        windowOf: (nowMs) => calendarWindow(nowMs, period),
        cost: charge,
        facts: { limit, period },
        describe: `${limit} per ${period}`,
      });
    },
  });
}
