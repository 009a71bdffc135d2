import { type Baseline, toolCalls } from './baseline';
import type { AnomalyFinding, AnomalyResponse } from './types';

/** The rules after defaults: what `evaluate` checks. */
export interface ResolvedRules {
  rate?: { windowSeconds: number; factor: number; minimum: number; response: AnomalyResponse };
  newTool?: { response: AnomalyResponse };
  timeOfDay?: { toleranceHours: number; response: AnomalyResponse };
  magnitude?: { factor: number; response: AnomalyResponse };
}

/** What is known of the call being checked. */
export interface CallFacts {
  tool: string;
  hour: number;
  /** Calls in the current rate window, this one included. */
  rateCount?: number;
  magnitude?: number;
}

/**
 * The rules a call breaks against a baseline, each with its reason in words. Plain thresholds, so every finding can
 * be explained and reproduced from the baseline record.
 */
export function evaluate(rules: ResolvedRules, baseline: Baseline, call: CallFacts): AnomalyFinding[] {
  const findings: AnomalyFinding[] = [];
  const { rate, newTool, timeOfDay, magnitude } = rules;
  if (rate !== undefined && call.rateCount !== undefined) {
    const { windows, total } = baseline.rate;
    const average = windows === 0 ? 0 : total / windows;
    const threshold = Math.max(rate.minimum, rate.factor * average);
    if (call.rateCount > threshold) {
      findings.push({
        rule: 'rate',
        response: rate.response,
        reason:
          `rate: ${call.rateCount} calls in ${rate.windowSeconds}s, above ${round(threshold)} ` +
          `(${rate.factor}× the usual ${round(average)}, at least ${rate.minimum})`,
      });
    }
  }
  if (newTool !== undefined && toolCalls(baseline, call.tool) === 0) {
    findings.push({
      rule: 'new-tool',
      response: newTool.response,
      reason: `new-tool: '${call.tool}' was never called by this user and agent`,
    });
  }
  if (timeOfDay !== undefined) {
    let near = 0;
    for (let offset = -timeOfDay.toleranceHours; offset <= timeOfDay.toleranceHours; offset++) {
      near += baseline.hours[(((call.hour + offset) % 24) + 24) % 24] ?? 0;
    }
    if (near === 0) {
      findings.push({
        rule: 'time-of-day',
        response: timeOfDay.response,
        reason: `time-of-day: no calls between ${hourOf(call.hour - timeOfDay.toleranceHours)} and ${hourOf(
          call.hour + timeOfDay.toleranceHours + 1,
        )} UTC in the baseline`,
      });
    }
  }
  if (magnitude !== undefined && call.magnitude !== undefined && baseline.magnitude.count > 0) {
    const largest = baseline.magnitude.max;
    if (call.magnitude > magnitude.factor * largest) {
      const ratio = largest === 0 ? 'any amount above 0' : `${round(call.magnitude / largest)}× the largest`;
      findings.push({
        rule: 'magnitude',
        response: magnitude.response,
        reason: `magnitude: ${ratio} in the baseline (at most ${magnitude.factor}× is usual)`,
      });
    }
  }
  return findings;
}

const STRENGTH: Record<AnomalyResponse, number> = { 'step-up': 1, approval: 2, deny: 3 };

/** The strongest response among the findings: deny over approval over step-up. */
export function strongest(findings: readonly AnomalyFinding[]): AnomalyResponse {
  let response: AnomalyResponse = 'step-up';
  for (const finding of findings)
    if (STRENGTH[finding.response] > STRENGTH[response]) response = finding.response;
  return response;
}

const round = (value: number) => Math.round(value * 10) / 10;
const hourOf = (hour: number) => `${String(((hour % 24) + 24) % 24).padStart(2, '0')}:00`;
