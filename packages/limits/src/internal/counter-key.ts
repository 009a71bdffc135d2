import { canonicalJson, GateDenied, type GuardContext, sha256Hex, toSessionView } from '@agentgate/core';
import type { LimitKey } from '../limit-key';

/**
 * The store key of one counter: the guard's name, whose counter it is and the window, hashed so no user id reaches
 * the store's key names. `limit:<sha256>:<window start>`.
 *
 * @throws GateDenied `FORBIDDEN` for a `'tenant'` key on a session without a tenant, `GUARD_FAILED` when a key
 * function does not return a non-empty string
 */
export async function counterKey<Args>(
  guardName: string,
  key: LimitKey<Args>,
  context: GuardContext<Args>,
  windowStartMs: number,
): Promise<string> {
  const { session, tool } = context;
  let parts: readonly string[];
  if (key === 'user') parts = ['user', session.user.iss, session.user.sub];
  else if (key === 'user+tool') parts = ['user+tool', session.user.iss, session.user.sub, tool.name];
  else if (key === 'tenant') {
    if (typeof session.tenant !== 'string' || session.tenant.length === 0) {
      throw new GateDenied(
        'FORBIDDEN',
        `${guardName}: the session has no tenant to count '${tool.name}' against`,
        {
          guard: guardName,
        },
      );
    }
    parts = ['tenant', session.user.iss, session.tenant];
  } else {
    const custom: unknown = await key({ session: toSessionView(session), tool, args: context.args });
    if (typeof custom !== 'string' || custom.length === 0) {
      throw new GateDenied('GUARD_FAILED', `${guardName}: the key function must return a non-empty string`, {
        guard: guardName,
      });
    }
    parts = ['custom', custom];
  }
  return `limit:${sha256Hex(canonicalJson([guardName, ...parts]))}:${windowStartMs}`;
}

/** A short label of the key for names and messages. */
export function describeKey(key: LimitKey<never>): string {
  return typeof key === 'function' ? 'custom' : key;
}
