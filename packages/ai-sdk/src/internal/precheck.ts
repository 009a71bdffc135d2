import type { Guard, GuardContext } from '@agentgate/core';
import type { BridgeInput } from './registry';

/**
 * Guard kinds the chat's pre-check runs: those that only read (who the user is, what OpenFGA says, whether an account
 * is connected). Guards of other kinds may act when they check (an approval creates a request, a rate limit or quota
 * charges the call) and run only when the call runs.
 */
const PRECHECK_KINDS: ReadonlySet<string> = new Set(['identity', 'fga', 'vault']);

/** The guards before the chat approval guard that the pre-check runs, in order. */
export function precheckGuards(guards: readonly Guard[], approvalIndex: number): readonly Guard[] {
  return Object.freeze(guards.slice(0, approvalIndex).filter((guard) => PRECHECK_KINDS.has(guard.kind)));
}

/**
 * True when every pre-check guard allows the call, judged as the gate judges (a guard allows only by returning
 * nothing). Decides only whether the chat asks: the tool does not run and nothing is recorded here — when this says
 * no, the call runs through the gate, which refuses it on record.
 */
export async function passesPrecheck(guards: readonly Guard[], input: BridgeInput): Promise<boolean> {
  for (const guard of guards) {
    try {
      const context: GuardContext = {
        session: input.session,
        tool: input.tool,
        // A copy of its own: nothing a guard does to it reaches the approval request's arguments.
        args: Object.freeze(structuredClone(input.args)),
        argsDigest: input.argsDigest,
        callId: input.callId,
        setCredential() {}, // the credential of a call that does not run is dropped
        annotate() {},
      };
      const returned: unknown = await guard.check(context);
      if (returned !== undefined) return false;
    } catch {
      return false;
    }
  }
  return true;
}
