import {
  AgentGateError,
  defineGuard,
  describeThrown,
  GateDenied,
  type Guard,
  safeCause,
} from '@agentgate/core';

/**
 * Re-checks the session just before the call runs, through its `revalidate()` (a refresh for background sessions,
 * introspection for access-token sessions). A revoked or expired session stops the call. A background session that
 * cannot be re-checked is refused; an interactive one without `revalidate` passes (it was verified when created).
 *
 * @throws GateDenied `NO_SESSION`, or the `GateInterrupt` `STEP_UP_REQUIRED` the session's `revalidate` raised
 * @example gate.protect(sendReport, [requireActiveSession(), requireScopes('reports:send')], run);
 */
export function requireActiveSession(...unexpected: never[]): Guard {
  const name = 'requireActiveSession';
  if (unexpected.length > 0) {
    // It has no options: whatever was passed would be dropped without a word.
    throw new TypeError(`${name}: takes no arguments (it re-checks through session.revalidate())`);
  }
  return defineGuard({
    name,
    kind: 'identity',
    async check({ session, tool, signal }) {
      if (session.revalidate === undefined) {
        if (session.mode === 'background') {
          throw new GateDenied(
            'NO_SESSION',
            `the background session for '${tool.name}' cannot be re-checked: it has no revalidate() (create it with ` +
              'createBackgroundSession, or give createSession a revalidate)',
            {
              guard: name,
            },
          );
        }
        return;
      }
      try {
        await session.revalidate(signal === undefined ? {} : { signal });
      } catch (error) {
        if (AgentGateError.isInstance(error)) throw error;
        const message = describeThrown(error);
        throw new GateDenied('NO_SESSION', `the session could not be re-checked: ${message}`, {
          guard: name,
          cause: safeCause(error),
        });
      }
    },
  });
}
