import { GateDenied, type GuardContext, type LimitStore } from '@agentgate/core';
import type { LimitKey } from '../limit-key';
import type { OnStoreError } from '../on-store-error';
import { counterKey } from './counter-key';
import { describeStoreFailure } from './store-failure';
import { readClock, retryAfterSeconds, ttlMsOf, type Window } from './windows';

/** What one limit guard needs to decide a call. */
export interface LimitCheck<Args> {
  readonly name: string;
  readonly store: LimitStore;
  readonly key: LimitKey<Args>;
  readonly limit: number;
  readonly onStoreError: OnStoreError;
  readonly now: () => number;
  readonly windowOf: (nowMs: number) => Window;
  /** The call's cost: already validated. */
  readonly cost: number;
  /** The facts a `RATE_LIMITED` denial carries besides `retryAfter` (never an argument value). */
  readonly facts: Readonly<Record<string, string | number>>;
  /** How the limit reads in messages: `10 calls per 60s`. */
  readonly describe: string;
}

/**
 * Charges `check.cost` to the caller's counter for the current window, or denies:
 * `RATE_LIMITED` (with `retryAfter`) when it does not fit; `GUARD_FAILED` when the store fails (unless
 * `onStoreError: 'allow'`, which allows and annotates the audit event).
 */
export async function chargeOrDeny<Args>(
  context: GuardContext<Args>,
  check: LimitCheck<Args>,
): Promise<void> {
  const nowMs = readClock(check.name, check.now);
  const window = check.windowOf(nowMs);
  const key = await counterKey(check.name, check.key, context, window.startMs);
  let admitted: unknown;
  try {
    const answer: unknown = await check.store.consume(key, {
      cost: check.cost,
      limit: check.limit,
      ttlMs: ttlMsOf(window, nowMs),
    });
    admitted = (answer as { admitted?: unknown } | null | undefined)?.admitted;
  } catch (error) {
    // A TypeError is a bug (ours or the store's), never an outage: it denies whatever `onStoreError` says.
    if (check.onStoreError === 'allow' && !(error instanceof TypeError)) {
      context.annotate({
        reason: `limit not enforced: the limit store failed (${describeStoreFailure(error)})`,
      });
      return;
    }
    throw new GateDenied(
      'GUARD_FAILED',
      `${check.name}: the limit store failed (${describeStoreFailure(error)}), so '${context.tool.name}' is denied`,
      { guard: check.name, cause: error },
    );
  }
  if (admitted !== true && admitted !== false) {
    // Only a clear yes admits: a store answering anything else is broken, and a broken store never lets a call by.
    throw new GateDenied('GUARD_FAILED', `${check.name}: the limit store answered without a yes or no`, {
      guard: check.name,
    });
  }
  if (!admitted) {
    const retryAfter = retryAfterSeconds(window, nowMs);
    throw new GateDenied(
      'RATE_LIMITED',
      `'${context.tool.name}' is over its limit of ${check.describe}; retry in ${retryAfter}s`,
      { guard: check.name, details: { ...check.facts, retryAfter } },
    );
  }
}
