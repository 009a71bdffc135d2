import { GateDenied } from '@agentgate/core';

/** A span of time a counter covers: `[startMs, endMs)`. */
export interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

/** The fixed window of `lengthMs` that holds `nowMs`; windows are aligned to the Unix epoch. */
export function fixedWindow(nowMs: number, lengthMs: number): Window {
  const startMs = Math.floor(nowMs / lengthMs) * lengthMs;
  return { startMs, endMs: startMs + lengthMs };
}

/** A calendar period in UTC: `day` runs from 00:00 to 24:00 UTC, `month` from the 1st to the 1st. */
export type QuotaPeriod = 'day' | 'month';

export const QUOTA_PERIODS: readonly QuotaPeriod[] = ['day', 'month'];

/** The UTC day or month that holds `nowMs`. */
export function calendarWindow(nowMs: number, period: QuotaPeriod): Window {
  const date = new Date(nowMs);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === 'month') return { startMs: Date.UTC(year, month, 1), endMs: Date.UTC(year, month + 1, 1) };
  const day = date.getUTCDate();
  return { startMs: Date.UTC(year, month, day), endMs: Date.UTC(year, month, day + 1) };
}

/** Whole seconds until the window ends, at least 1: what `RATE_LIMITED` carries as `retryAfter`. */
export function retryAfterSeconds(window: Window, nowMs: number): number {
  return Math.max(1, Math.ceil((window.endMs - nowMs) / 1000));
}

/** How long a counter outlives its window, at most: the clock skew between processes it absorbs. */
const SKEW_GRACE_MS = 60_000;

/**
 * Milliseconds a counter created now must live: the rest of the window, plus a grace of one window (at most 60 s).
 * Without the grace, a process whose clock lags would find the window's counter gone (expired by the clock of the
 * process that created it) and start it again from 0 — a second full budget at every window's end. Counter keys carry
 * the window's start, so the next window never reads a counter kept for the grace.
 */
export function ttlMsOf(window: Window, nowMs: number): number {
  return (
    Math.max(1, Math.ceil(window.endMs - nowMs)) + Math.min(SKEW_GRACE_MS, window.endMs - window.startMs)
  );
}

/**
 * Reads a guard's clock: epoch milliseconds, or a `GUARD_FAILED` denial (a broken clock never decides a window).
 *
 * @throws GateDenied `GUARD_FAILED` when the clock returns anything but a finite number
 */
export function readClock(guard: string, now: () => number): number {
  const nowMs = now();
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) {
    throw new GateDenied('GUARD_FAILED', `${guard}: the clock did not return epoch milliseconds`, { guard });
  }
  return nowMs;
}
