import type { Guard, ToolDescriptor } from './guard';
import { assertKnownOptions } from './options';
import { type RiskPolicy, requiredGuardKinds } from './risk-policy';

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

/**
 * The names of the guards `plan` would shadow on `tool` although the risk policy requires their kind: such a tool
 * cannot be built (`TypeError` at `protect`) nor run (FORBIDDEN on record).
 *
 * @throws TypeError when the tool's risk is not a known level
 */
export function shadowedRequiredGuards(
  plan: ShadowPlan | undefined,
  policy: RiskPolicy,
  tool: ToolDescriptor,
  guards: readonly Guard<never>[],
): string[] {
  if (plan === undefined) return [];
  const required = requiredGuardKinds(policy, tool);
  if (required.length === 0) return [];
  return guards
    .filter((guard) => required.includes(guard.kind) && plan.isShadowed(tool.name, guard.name))
    .map((guard) => guard.name);
}

function namesOf(names: unknown, where: string): readonly string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new TypeError(`createGate: ${where} must be an array of guard names (non-empty strings)`);
  }
  return names;
}
