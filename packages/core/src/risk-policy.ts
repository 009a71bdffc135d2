import type { Risk, ToolDescriptor } from './guard';

/**
 * Maps a tool's risk to the kinds of guard it must carry, so an unguarded high-risk tool is impossible by
 * configuration. The default requires an `'approval'` guard on high-risk tools.
 *
 * @example { high: ['approval', 'identity'], medium: ['identity'] }
 */
export type RiskPolicy = Readonly<Partial<Record<Risk, readonly string[]>>>;

export const defaultRiskPolicy: RiskPolicy = Object.freeze({ high: Object.freeze(['approval']) });

const RISKS: readonly Risk[] = ['low', 'medium', 'high'];

/** Whether `value` is one of the risk levels `low`, `medium`, `high` (exactly: `'HIGH'` and `'critical'` are not). */
export function isRisk(value: unknown): value is Risk {
  return (RISKS as readonly unknown[]).includes(value);
}

/**
 * The tool's risk level (`low` when it declares none).
 *
 * @throws TypeError when it declares anything but `low`, `medium` or `high`: an unknown level is never taken as low
 */
export function assertRisk(tool: ToolDescriptor): Risk {
  const declared: unknown = tool.risk; // read once: a getter cannot answer two different risks
  const risk = declared === undefined ? 'low' : declared;
  if (!isRisk(risk)) {
    throw new TypeError(
      `tool '${String(tool.name)}' declares the unknown risk ${describeRisk(risk)}; the risk levels are: ${RISKS.join(', ')}`,
    );
  }
  return risk;
}

function describeRisk(risk: unknown): string {
  return typeof risk === 'string'
    ? `'${risk.slice(0, 64)}'`
    : `of type ${risk === null ? 'null' : typeof risk}`;
}

/**
 * The guard kinds `policy` requires for a tool of `risk` (none for a level it does not name). Guards of these kinds are
 * always enforced: they cannot run in shadow mode.
 */
export function requiredGuardKinds(policy: RiskPolicy, risk: Risk): readonly string[] {
  return Object.hasOwn(policy, risk) ? (policy[risk] ?? []) : [];
}

/** @throws TypeError when the policy names a risk level that does not exist or a kind that is not a string. */
export function validateRiskPolicy(policy: RiskPolicy): RiskPolicy {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    throw new TypeError("riskPolicy must be an object such as { high: ['approval'] }");
  }
  for (const [risk, kinds] of Object.entries(policy)) {
    if (!RISKS.includes(risk as Risk)) throw new TypeError(`riskPolicy: unknown risk level '${risk}'`);
    if (kinds === undefined) continue;
    if (!Array.isArray(kinds) || kinds.some((kind) => typeof kind !== 'string' || kind.length === 0)) {
      throw new TypeError(`riskPolicy.${risk} must be an array of guard kinds`);
    }
  }
  return Object.freeze(
    Object.fromEntries(
      Object.entries(policy)
        .filter((entry): entry is [string, readonly string[]] => entry[1] !== undefined)
        .map(([risk, kinds]) => [risk, Object.freeze([...kinds])]),
    ),
  );
}
