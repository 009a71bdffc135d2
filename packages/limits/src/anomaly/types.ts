import type { LimitStore, Store } from '@agentgate/core';
import type { LimitKeyInput } from '../limit-key';

/**
 * What the anomaly guard does with a call far outside the baseline:
 * - `'step-up'`: interrupts with `STEP_UP_REQUIRED` unless the user logged in within `stepUp.maxAgeSeconds`;
 * - `'approval'`: lets the call go on to an approval guard whose `when` is `anomalyGuard.requiresApproval`;
 * - `'deny'`: denies with `FORBIDDEN`.
 */
export type AnomalyResponse = 'step-up' | 'approval' | 'deny';

/** The rules the guard can check; each is off unless given. */
export type AnomalyRuleName = 'rate' | 'new-tool' | 'time-of-day' | 'magnitude';

/** Calls per window far above the usual: more than `max(minimum, factor × average per active window)`. */
export interface RateRule {
  /** @default 60 */
  windowSeconds?: number;
  /** @default 3 */
  factor?: number;
  /** Never fires at or below this many calls per window. @default 10 */
  minimum?: number;
  response?: AnomalyResponse;
}

/** A tool this user and agent never called before. */
export interface NewToolRule {
  response?: AnomalyResponse;
}

/** An hour of the day (UTC) with no calls in the baseline within `toleranceHours` either side. */
export interface TimeOfDayRule {
  /** @default 1 */
  toleranceHours?: number;
  response?: AnomalyResponse;
}

/** An argument magnitude (an amount) more than `factor` times the largest in the baseline. */
export interface MagnitudeRule<Args> {
  /** The magnitude of this call, from the validated arguments; `undefined` when the call has none. */
  value: (input: LimitKeyInput<Args>) => number | undefined;
  /** @default 3 */
  factor?: number;
  response?: AnomalyResponse;
}

/** The rules to check; at least one. A rule's own `response` overrides the guard's for that rule. */
export interface AnomalyRules<Args> {
  rate?: RateRule;
  newTool?: NewToolRule | true;
  timeOfDay?: TimeOfDayRule | true;
  magnitude?: MagnitudeRule<Args>;
}

/** Options of {@link anomaly}. */
export interface AnomalyOptions<Args = unknown> {
  /** Where baselines live (one small JSON record per user and agent): `MemoryStore` or `createRedisStore(…)`. */
  store: Store;
  /** Where call-rate counters live (exact under concurrency): `MemoryLimitStore` or `createRedisLimitStore(…)`. */
  counters: LimitStore;
  rules: AnomalyRules<Args>;
  /** What to do with an unusual call, unless its rule says otherwise. */
  response: AnomalyResponse;
  /** Calls a baseline must hold before any rule fires (until then every call only teaches it). @default 20 */
  learningCalls?: number;
  /** For `'step-up'`: how fresh a login must be to accept an unusual call. @default { maxAgeSeconds: 300 } */
  stepUp?: { maxAgeSeconds: number; acr?: string };
  /** Seconds a baseline is kept after its last update. @default 2_592_000 (30 days) */
  baselineTtlSeconds?: number;
  /** The guard's name in audit events and errors, and part of each baseline's key. @default `anomaly` */
  name?: string;
  /** Clock in ms, for tests. @default Date.now */
  now?: () => number;
}

/** One rule that fired, with why, in words (counts and ratios, never an argument value). */
export interface AnomalyFinding {
  readonly rule: AnomalyRuleName;
  readonly response: AnomalyResponse;
  readonly reason: string;
}

/** The `details` of the denial or interrupt an unusual call gets. */
export interface AnomalyDetails {
  readonly anomaly: readonly AnomalyRuleName[];
}
