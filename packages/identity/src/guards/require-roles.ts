import { assertKnownOptions, defineGuard, GateDenied, type Guard } from '@agentgate/core';
import { checkNames } from '../internal/check-names';

/** Options of {@link requireRoles}. */
export interface RequireRolesOptions {
  /** `'all'`: the session must hold every role; `'any'`: one is enough. @default 'all' */
  match?: 'all' | 'any';
}

/**
 * Allows the call only when the session holds the roles: all of them, or one of them with `{ match: 'any' }` as the
 * last argument.
 *
 * @throws GateDenied `FORBIDDEN` with `details.missing`
 * @example requireRoles('support', 'billing', { match: 'any' })
 */
export function requireRoles(...input: [...roles: string[], options: RequireRolesOptions] | string[]): Guard {
  const last = input.at(-1);
  const hasOptions = typeof last === 'object' && last !== null && !Array.isArray(last);
  const options: RequireRolesOptions = hasOptions ? (last as RequireRolesOptions) : {};
  const roles = (hasOptions ? input.slice(0, -1) : input) as string[];
  if (hasOptions) assertKnownOptions('requireRoles', options, ['match']);
  checkNames('requireRoles', roles, 'role');
  const match = options.match ?? 'all';
  if (match !== 'all' && match !== 'any')
    throw new TypeError("requireRoles: options.match must be 'all' or 'any'");
  const name = `requireRoles(${roles.join(match === 'any' ? ' | ' : ' ')})`;
  return defineGuard({
    name,
    kind: 'identity',
    check({ session, tool }) {
      const held = new Set(session.roles);
      const missing = roles.filter((role) => !held.has(role));
      const allowed = match === 'all' ? missing.length === 0 : missing.length < roles.length;
      if (!allowed) {
        const needs = match === 'all' ? missing.join(', ') : `one of ${roles.join(', ')}`;
        throw new GateDenied('FORBIDDEN', `'${tool.name}' needs the role ${needs}`, {
          guard: name,
          details: { missing, required: roles, match },
        });
      }
    },
  });
}
