import {
  type AgentSession,
  assertKnownOptions,
  canonicalJson,
  defineGuard,
  GateDenied,
  GateInterrupt,
  type Guard,
  type GuardContext,
  sha256Hex,
  toSessionView,
} from '@agentgate/core';
import { fromStore } from '../internal/store-failure';
import {
  assertOptionalFunction,
  assertOptionalName,
  assertPositiveInteger,
  assertStore,
} from '../internal/validate';
import { fixedWindow, readClock, ttlMsOf } from '../internal/windows';
import { type Baseline, emptyBaseline, fold, isBaseline, type Observation } from './baseline';
import { resolveRules } from './resolve-rules';
import { evaluate, strongest } from './rules';
import type { AnomalyDetails, AnomalyOptions, AnomalyResponse } from './types';

/** The anomaly guard, plus the hand-off an approval guard reads. */
export interface AnomalyGuard<Args = unknown> extends Guard<Args> {
  /**
   * For `approvals.guard({ when: anomalyGuard.requiresApproval })`: `true` when this guard found the call unusual and
   * its response is `'approval'`, `false` when it found it usual. Put the anomaly guard before the approval guard.
   *
   * @throws TypeError when this guard has not checked these arguments (it is missing, or comes later), so the approval
   * guard denies (`GUARD_FAILED`) rather than skipping the approval
   */
  readonly requiresApproval: (input: { readonly args: unknown }) => boolean;
}

const KNOWN = [
  'store',
  'counters',
  'rules',
  'response',
  'learningCalls',
  'stepUp',
  'baselineTtlSeconds',
  'name',
  'now',
];
const RESPONSES: readonly AnomalyResponse[] = ['step-up', 'approval', 'deny'];
const DEFAULT_STEP_UP_SECONDS = 300;
const DEFAULT_BASELINE_TTL_SECONDS = 30 * 24 * 3600;
/** The rate counter's limit: it only counts, and never refuses. */
const UNCAPPED = Number.MAX_SAFE_INTEGER;

/**
 * A guard (kind `'anomaly'`) that keeps a small baseline per user and agent — call rate, tools used, hours of the day,
 * the largest argument magnitude — and answers a call far outside it with the configured response: `STEP_UP_REQUIRED`
 * (`'step-up'`), a hand-off to an approval guard (`'approval'`), or `FORBIDDEN` (`'deny'`). Each rule is a plain
 * threshold, and the reason (which rules, in numbers) is in the audit event and the error. Usual calls and calls
 * accepted after a fresh login join the baseline (a usual call never raises the largest magnitude, so it cannot be
 * walked up); calls denied or sent to approval do not. A failing store always denies (`GUARD_FAILED`): there is no
 * fail-open for anomaly detection.
 *
 * @example
 * const unusual = anomaly({
 *   store, counters,
 *   rules: { rate: {}, newTool: true, timeOfDay: true, magnitude: { value: ({ args }) => args.amount } },
 *   response: 'approval',
 * });
 * const refund = gate.protect(refundTool, [unusual, approvals.guard({
 *   channel: 'in-app', mode: 'interrupt', when: unusual.requiresApproval, details, bindingMessage,
 * })], execute);
 * @throws TypeError at creation for an unknown option or a value out of range
 * @throws GateDenied `FORBIDDEN` (`details`: {@link AnomalyDetails}) for `'deny'`; GateInterrupt `STEP_UP_REQUIRED`
 * for `'step-up'`; GateDenied `GUARD_FAILED` when a store fails, a stored baseline is malformed, or `magnitude.value`
 * returns anything but a finite number or `undefined`
 */
export function anomaly<Args = unknown>(options: AnomalyOptions<Args>): AnomalyGuard<Args> {
  const where = 'anomaly';
  assertKnownOptions(where, options, KNOWN);
  assertStore(where, 'options.store', options.store, ['get', 'put']);
  assertStore(where, 'options.counters', options.counters, ['consume']);
  if (!RESPONSES.includes(options.response)) {
    throw new TypeError(`${where}: options.response must be 'step-up', 'approval' or 'deny'`);
  }
  const rules = resolveRules(where, options.rules, options.response);
  const { learningCalls = 20, baselineTtlSeconds = DEFAULT_BASELINE_TTL_SECONDS } = options;
  assertPositiveInteger(where, 'options.learningCalls', learningCalls);
  assertPositiveInteger(where, 'options.baselineTtlSeconds', baselineTtlSeconds);
  const stepUp = options.stepUp ?? { maxAgeSeconds: DEFAULT_STEP_UP_SECONDS };
  assertKnownOptions(where, stepUp, ['maxAgeSeconds', 'acr'], 'options.stepUp');
  if (!Number.isSafeInteger(stepUp.maxAgeSeconds) || stepUp.maxAgeSeconds < 0) {
    throw new TypeError(`${where}: options.stepUp.maxAgeSeconds must be a non-negative integer`);
  }
  if (stepUp.acr !== undefined && (typeof stepUp.acr !== 'string' || stepUp.acr.length === 0)) {
    throw new TypeError(`${where}: options.stepUp.acr must be a non-empty string`);
  }
  assertOptionalName(where, options.name);
  assertOptionalFunction(where, 'options.now', options.now);
  const { store, counters, now = Date.now } = options;
  const magnitudeOf = options.rules.magnitude?.value;
  const name = options.name ?? 'anomaly';
  /** This guard's verdict per call, keyed by the call's frozen arguments (the object every guard of the call sees). */
  const verdicts = new WeakMap<object, boolean>();

  const recordVerdict = (args: unknown, requiresApproval: boolean): void => {
    if (typeof args === 'object' && args !== null) verdicts.set(args, requiresApproval);
  };

  async function check(context: GuardContext<Args>): Promise<void> {
    const { session, tool, args } = context;
    const nowMs = readClock(name, now);
    const subject = sha256Hex(canonicalJson(subjectOf(name, session)));
    const observation: Observation = { tool: tool.name, hour: new Date(nowMs).getUTCHours() };
    if (rules.rate !== undefined) {
      const window = fixedWindow(nowMs, rules.rate.windowSeconds * 1000);
      const answer: unknown = await fromStore(name, 'rate counter', () =>
        counters.consume(`anomaly-rate:${subject}:${window.startMs}`, {
          cost: 1,
          limit: UNCAPPED,
          ttlMs: ttlMsOf(window, nowMs),
        }),
      );
      const used = (answer as { used?: unknown } | null | undefined)?.used;
      if (typeof used !== 'number' || !Number.isFinite(used) || used < 1) {
        throw new GateDenied('GUARD_FAILED', `${name}: the rate counter answered without a count`, {
          guard: name,
        });
      }
      observation.rate = { window: window.startMs, count: used };
    }
    if (magnitudeOf !== undefined) {
      const value: unknown = magnitudeOf({ session: toSessionView(session), tool, args });
      if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
        throw new GateDenied(
          'GUARD_FAILED',
          `${name}: magnitude.value must return a finite number or undefined`,
          {
            guard: name,
          },
        );
      }
      if (value !== undefined) observation.magnitude = Math.abs(value);
    }
    const baselineKey = `anomaly:${subject}`;
    const stored = await fromStore(name, 'baseline store', () => store.get(baselineKey));
    if (stored !== undefined && !isBaseline(stored)) {
      throw new GateDenied('GUARD_FAILED', `${name}: the stored baseline is malformed`, { guard: name });
    }
    const baseline: Baseline = stored ?? emptyBaseline();
    /**
     * Folds this call into the baseline. A usual call (`trusted: false`) never raises the largest magnitude: else each
     * call could lift the bar `factor`× (3 calls: 27×), and anyone holding the session could walk it up for free. Only
     * learning calls and calls accepted after a fresh login raise it.
     */
    const learn = (trusted: boolean) => {
      const { magnitude } = observation;
      const capped =
        trusted || magnitude === undefined || baseline.magnitude.count === 0
          ? observation
          : { ...observation, magnitude: Math.min(magnitude, baseline.magnitude.max) };
      return fromStore(name, 'baseline store', () =>
        store.put(baselineKey, fold(baseline, capped), { ttlSeconds: baselineTtlSeconds }),
      );
    };

    if (baseline.calls < learningCalls) {
      await learn(true);
      recordVerdict(args, false);
      context.annotate({ reason: `learning: ${baseline.calls} of ${learningCalls} calls in the baseline` });
      return;
    }
    const findings = evaluate(rules, baseline, {
      tool: observation.tool,
      hour: observation.hour,
      ...(observation.rate === undefined ? {} : { rateCount: observation.rate.count }),
      ...(observation.magnitude === undefined ? {} : { magnitude: observation.magnitude }),
    });
    if (findings.length === 0) {
      await learn(false);
      recordVerdict(args, false);
      context.annotate({ reason: 'usual for this user and agent' });
      return;
    }
    const why = findings.map((finding) => finding.reason).join('; ');
    const details: AnomalyDetails = { anomaly: findings.map((finding) => finding.rule) };
    const response = strongest(findings);
    if (response === 'deny') {
      throw new GateDenied('FORBIDDEN', `'${tool.name}' is unusual for this user and agent: ${why}`, {
        guard: name,
        details: { ...details },
      });
    }
    if (response === 'approval') {
      if (typeof args !== 'object' || args === null) {
        throw new GateDenied(
          'FORBIDDEN',
          `'${tool.name}' is unusual for this user and agent (${why}) and its arguments cannot be handed to an approval`,
          { guard: name, details: { ...details } },
        );
      }
      recordVerdict(args, true);
      context.annotate({ reason: `unusual, approval required: ${why}` });
      return;
    }
    if (isFreshLogin(session, nowMs, stepUp)) {
      await learn(true);
      recordVerdict(args, false);
      context.annotate({ reason: `unusual, accepted after a fresh login: ${why}` });
      return;
    }
    throw new GateInterrupt('STEP_UP_REQUIRED', `'${tool.name}' is unusual for this user and agent: ${why}`, {
      guard: name,
      details: {
        ...details,
        maxAgeSeconds: stepUp.maxAgeSeconds,
        authorizationParams: {
          max_age: String(stepUp.maxAgeSeconds),
          ...(stepUp.acr === undefined ? {} : { acr_values: stepUp.acr }),
        },
      },
    });
  }

  const guard = defineGuard<Args>({ name, kind: 'anomaly', check });
  const requiresApproval = (input: { readonly args: unknown }): boolean => {
    const args = input?.args;
    const verdict = typeof args === 'object' && args !== null ? verdicts.get(args) : undefined;
    if (verdict === undefined) {
      throw new TypeError(
        `${name}: no verdict for these arguments; list the anomaly guard before the approval guard that reads it`,
      );
    }
    return verdict;
  };
  return Object.freeze({ ...guard, requiresApproval });
}

/** Whose baseline: the guard, the user (issuer, subject, tenant) and the agent. */
function subjectOf(name: string, session: AgentSession): readonly string[] {
  return [name, session.user.iss, session.user.sub, session.tenant ?? '', session.agent?.id ?? ''];
}

function isFreshLogin(
  session: AgentSession,
  nowMs: number,
  stepUp: { maxAgeSeconds: number; acr?: string },
): boolean {
  if (session.authTime === undefined) return false;
  if (Math.floor(nowMs / 1000) - session.authTime > stepUp.maxAgeSeconds) return false;
  return stepUp.acr === undefined || session.acr === stepUp.acr;
}
