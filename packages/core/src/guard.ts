import type { AgentGateError } from './errors';
import type { AgentSession } from './session';

/** How risky a tool is. A gate's risk policy maps each level to the kinds of guard it requires. */
export type Risk = 'low' | 'medium' | 'high';

/** What the gate knows of a tool: its name, and how risky it is. */
export interface ToolDescriptor {
  readonly name: string;
  readonly description?: string;
  readonly risk?: Risk;
}

/** Facts a guard adds to its audit event. Never a secret. */
export interface GuardAnnotations {
  approvalId?: string;
  connection?: string;
  reason?: string;
}

/** What a guard sees: the verified session, the validated arguments, and a place to attach credentials. */
export interface GuardContext<Args = unknown> {
  readonly session: AgentSession;
  readonly tool: ToolDescriptor;
  /** The arguments after schema validation. */
  readonly args: Args;
  /** `digestArgs(args)`: what approvals and audit events bind to. */
  readonly argsDigest: string;
  readonly callId: string;
  readonly signal?: AbortSignal;
  /** Attaches a credential the tool reads with `getCredential(key)`; never visible to the model. */
  setCredential(key: string, value: unknown): void;
  /** Adds facts to this guard's audit event. */
  annotate(annotations: GuardAnnotations): void;
}

/**
 * A policy check on a tool call. `check` returns normally to allow (possibly attaching credentials), or throws
 * `GateDenied` (final) or `GateInterrupt` (the user must act). Any other error denies the call as `GUARD_FAILED`.
 */
export interface Guard<Args = unknown> {
  /** Shown in audit events and errors, e.g. `requireScopes(calendar:read)`. */
  readonly name: string;
  /** The family a risk policy asks for: `'identity'`, `'fga'`, `'approval'`, `'vault'`, or your own. */
  readonly kind: string;
  check(context: GuardContext<Args>): void | Promise<void>;
  /**
   * Called when the tool threw `ConnectionTokenRejected` for a credential this guard attached. Return `true` after
   * dropping the cached credential: the gate runs this guard again and the tool once more.
   */
  recover?(context: GuardContext<Args>, error: AgentGateError): boolean | Promise<boolean>;
}

/**
 * Builds a guard from a name, a kind and a check function.
 *
 * @example
 * const weekdaysOnly = defineGuard({ name: 'weekdays', kind: 'policy', check: () => {
 *   if ([0, 6].includes(new Date().getDay())) throw new GateDenied('FORBIDDEN', 'not on weekends');
 * } });
 */
export function defineGuard<Args = unknown>(guard: Guard<Args>): Guard<Args> {
  if (typeof guard?.name !== 'string' || guard.name.length === 0) {
    throw new TypeError('defineGuard: name must be a non-empty string');
  }
  if (typeof guard.kind !== 'string' || guard.kind.length === 0) {
    throw new TypeError(`defineGuard(${guard.name}): kind must be a non-empty string`);
  }
  if (typeof guard.check !== 'function')
    throw new TypeError(`defineGuard(${guard.name}): check must be a function`);
  return Object.freeze({ ...guard });
}
