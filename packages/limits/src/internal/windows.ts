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

/** Milliseconds a counter created now must live: the rest of the window, at least 1. */
export function ttlMsOf(window: Window, nowMs: number): number {
  return Math.max(1, Math.ceil(window.endMs - nowMs));
}
