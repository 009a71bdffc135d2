import { assertKnownOptions } from '@agentgate/core';
import { assertPositiveInteger, assertPositiveNumber } from '../internal/validate';
import type { ResolvedRules } from './rules';
import type { AnomalyResponse, AnomalyRules } from './types';

const RESPONSES: readonly unknown[] = ['step-up', 'approval', 'deny'];

/** Checks `options.rules` and fills in defaults. @throws TypeError naming the option */
export function resolveRules<Args>(
  where: string,
  rules: AnomalyRules<Args>,
  fallback: AnomalyResponse,
): ResolvedRules {
  assertKnownOptions(where, rules, ['rate', 'newTool', 'timeOfDay', 'magnitude'], 'options.rules');
  const responseOf = (label: string, rule: { response?: unknown }): AnomalyResponse => {
    if (rule.response !== undefined && !RESPONSES.includes(rule.response)) {
      throw new TypeError(
        `${where}: options.rules.${label}.response must be 'step-up', 'approval' or 'deny'`,
      );
    }
    return (rule.response as AnomalyResponse | undefined) ?? fallback;
  };
  const resolved: ResolvedRules = {};
  if (rules.rate !== undefined) {
    const label = 'options.rules.rate';
    assertKnownOptions(where, rules.rate, ['windowSeconds', 'factor', 'minimum', 'response'], label);
    const { windowSeconds = 60, factor = 3, minimum = 10 } = rules.rate;
    assertPositiveInteger(where, `${label}.windowSeconds`, windowSeconds);
    assertPositiveNumber(where, `${label}.factor`, factor);
    assertPositiveInteger(where, `${label}.minimum`, minimum);
    resolved.rate = { windowSeconds, factor, minimum, response: responseOf('rate', rules.rate) };
  }
  if (rules.newTool !== undefined) {
    const rule = rules.newTool === true ? {} : rules.newTool;
    assertKnownOptions(where, rule, ['response'], 'options.rules.newTool');
    resolved.newTool = { response: responseOf('newTool', rule) };
  }
  if (rules.timeOfDay !== undefined) {
    const rule = rules.timeOfDay === true ? {} : rules.timeOfDay;
    assertKnownOptions(where, rule, ['toleranceHours', 'response'], 'options.rules.timeOfDay');
    const { toleranceHours = 1 } = rule;
    if (!Number.isSafeInteger(toleranceHours) || toleranceHours < 0 || toleranceHours > 11) {
      throw new TypeError(`${where}: options.rules.timeOfDay.toleranceHours must be an integer from 0 to 11`);
    }
    resolved.timeOfDay = { toleranceHours, response: responseOf('timeOfDay', rule) };
  }
  if (rules.magnitude !== undefined) {
    const label = 'options.rules.magnitude';
    assertKnownOptions(where, rules.magnitude, ['value', 'factor', 'response'], label);
    if (typeof rules.magnitude.value !== 'function')
      throw new TypeError(`${where}: ${label}.value must be a function`);
    const { factor = 3 } = rules.magnitude;
    assertPositiveNumber(where, `${label}.factor`, factor);
    resolved.magnitude = { factor, response: responseOf('magnitude', rules.magnitude) };
  }
  if (Object.keys(resolved).length === 0) {
    throw new TypeError(
      `${where}: options.rules must enable at least one of rate, newTool, timeOfDay, magnitude`,
    );
  }
  return resolved;
}
