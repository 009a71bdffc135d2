import type { Guard, Risk, ToolDescriptor } from './guard';

/**
 * Maps a tool's risk to the kinds of guard it must carry, so an unguarded high-risk tool is impossible by
 * configuration. The default requires an `'approval'` guard on high-risk tools.
 *
 * @example { high: ['approval', 'identity'], medium: ['identity'] }
 */
export type RiskPolicy = Readonly<Partial<Record<Risk, readonly string[]>>>;

export const defaultRiskPolicy: RiskPolicy = Object.freeze({ high: Object.freeze(['approval']) });

const RISKS: readonly Risk[] = ['low', 'medium', 'high'];

/** The guard kinds `tool` lacks under `policy`; empty when the tool is covered. */
export function missingGuardKinds(
  policy: RiskPolicy,
  tool: ToolDescriptor,
  guards: readonly Guard<never>[],
): string[] {
  const risk = tool.risk ?? 'low';
  const present = new Set(guards.map((guard) => guard.kind));
  return (policy[risk] ?? []).filter((kind) => !present.has(kind));
}

/** @throws TypeError when the policy names a risk level that does not exist or a kind that is not a string. */
export function validateRiskPolicy(policy: RiskPolicy): RiskPolicy {
  for (const [risk, kinds] of Object.entries(policy)) {
    if (!RISKS.includes(risk as Risk)) throw new TypeError(`riskPolicy: unknown risk level '${risk}'`);
    if (!Array.isArray(kinds) || kinds.some((kind) => typeof kind !== 'string' || kind.length === 0)) {
      throw new TypeError(`riskPolicy.${risk} must be an array of guard kinds`);
    }
  }
  return policy;
}
