import type { Guard, Risk, ToolDescriptor } from './guard';
import { assertKnownOptions } from './options';
import { assertRisk, type RiskPolicy, requiredGuardKinds } from './risk-policy';

/**
 * Which guards a gate runs in shadow mode: each still decides, its refusal is recorded as `would-deny` or
 * `would-interrupt`, and the call goes on. How a team rolls out a new policy: watch what it would refuse, then
 * enforce it. A guard whose kind the risk policy requires for the tool's risk can never be shadowed.
 *
 * @example
 * createGate({ audit, shadow: { guards: ['rateLimit(user)'], tools: { export_report: ['fga(can_export)'] } } });
 */
export interface ShadowOptions {
  /** Guard names shadowed on every tool. */
  readonly guards?: readonly string[];
  /** Per tool name: `true` shadows every guard of the tool, a list shadows the guards of those names. */
  readonly tools?: Readonly<Record<string, true | readonly string[]>>;
}

/** Internal: the gate's view of its shadow options. */
export interface ShadowPlan {
  /** Whether `guard` runs in shadow mode on `tool`. */
  isShadowed(tool: string, guard: string): boolean;
}

/** Internal: checks `options.shadow` and freezes it into a plan; `undefined` when nothing is shadowed. @throws TypeError */
export function validateShadow(shadow: unknown): ShadowPlan | undefined {
  if (shadow === undefined) return undefined;
  assertKnownOptions('createGate', shadow, ['guards', 'tools'], 'options.shadow');
  const { guards, tools } = shadow as ShadowOptions;
  const everywhere = new Set(namesOf(guards, 'options.shadow.guards'));
  const perTool = new Map<string, true | ReadonlySet<string>>();
  if (tools !== undefined) {
    if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
      throw new TypeError(
        'createGate: options.shadow.tools must be an object of tool name → true | guard names',
      );
    }
    for (const [tool, selection] of Object.entries(tools)) {
      perTool.set(
        tool,
        selection === true ? true : new Set(namesOf(selection, `options.shadow.tools.${tool}`)),
      );
    }
  }
  if (everywhere.size === 0 && perTool.size === 0) return undefined;
  return Object.freeze({
    isShadowed(tool: string, guard: string): boolean {
      if (everywhere.has(guard)) return true;
      const selection = perTool.get(tool);
      return selection === true || (selection?.has(guard) ?? false);
    },
  });
}

/** Internal: what the risk policy and shadow mode make of one tool's guards. */
export interface GuardPlan {
  /** The tool's risk, as read for this plan. */
  readonly risk: Risk;
  /** Kinds the risk policy requires for the tool's risk that no guard has. */
  readonly missing: string[];
  /** Guards of a required kind that the shadow options name: such a tool cannot be built nor run. */
  readonly shadowedRequired: string[];
  /** Per guard, in order: whether it runs in shadow mode. */
  readonly shadowed: readonly boolean[];
}

/**
 * Internal: the tool's risk and each guard's name and kind read **once**, and every answer derived from that one
 * reading, so the policy check, the shadow check and the run agree even for a tool or guard whose fields are getters
 * that change (a guard cannot satisfy the policy as `approval` and escape it as something else).
 *
 * @throws TypeError when the tool's risk is not a known level
 */
export function planGuards(
  policy: RiskPolicy,
  shadow: ShadowPlan | undefined,
  tool: ToolDescriptor,
  toolName: string,
  guards: readonly Guard<never>[],
): GuardPlan {
  const risk = assertRisk(tool);
  const required = requiredGuardKinds(policy, risk);
  const declared = guards.map((guard) => ({ name: guard.name, kind: guard.kind }));
  const shadowed = declared.map(({ name }) => shadow?.isShadowed(toolName, name) ?? false);
  const present = new Set(declared.map(({ kind }) => kind));
  return {
    risk,
    missing: required.filter((kind) => !present.has(kind)),
    shadowedRequired: declared
      .filter(({ kind }, index) => shadowed[index] && required.includes(kind))
      .map(({ name }) => name),
    shadowed,
  };
}

function namesOf(names: unknown, where: string): readonly string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new TypeError(`createGate: ${where} must be an array of guard names (non-empty strings)`);
  }
  return names;
}
