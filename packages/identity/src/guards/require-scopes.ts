import { defineGuard, GateDenied, type Guard } from '@agentgate/core';
import { checkNames } from '../internal/check-names';

/**
 * Allows the call only when the session carries every one of `scopes`.
 *
 * @throws GateDenied `INSUFFICIENT_SCOPE` with `details.missing` (and `details.required`)
 * @example gate.protect(listEvents, [requireScopes('calendar:read')], run);
 */
export function requireScopes(...scopes: string[]): Guard {
  checkNames('requireScopes', scopes, 'scope');
  const name = `requireScopes(${scopes.join(' ')})`;
  return defineGuard({
    name,
    kind: 'identity',
    check({ session, tool }) {
      const granted = new Set(session.scopes);
      const missing = scopes.filter((scope) => !granted.has(scope));
      if (missing.length > 0) {
        throw new GateDenied('INSUFFICIENT_SCOPE', `'${tool.name}' needs the scopes: ${missing.join(', ')}`, {
          guard: name,
          details: { missing, required: scopes },
        });
      }
    },
  });
}
