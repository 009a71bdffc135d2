import type { SessionView, ToolDescriptor } from '@agentgate/core';

/** What a key function receives: the verified session (without its token), the tool and the validated arguments. */
export interface LimitKeyInput<Args = unknown> {
  readonly session: SessionView;
  readonly tool: ToolDescriptor;
  readonly args: Args;
}

/**
 * Whose counter a call counts against:
 * - `'user'`: the session's user (issuer + subject), across every tool the guard protects;
 * - `'user+tool'`: the user, per tool;
 * - `'tenant'`: the session's tenant (issuer + tenant), for every user in it; a session without a tenant is refused;
 * - a function returning a non-empty string, e.g. `({ session }) => session.agent?.id ?? 'no-agent'`. It may read
 *   `args`, but then the model chooses the counter: key on arguments only to split a limit further, never to merge.
 *
 * Keys are hashed before they reach the store, so no user id or e-mail address is kept in Redis key names.
 */
export type LimitKey<Args = unknown> =
  | 'user'
  | 'user+tool'
  | 'tenant'
  | ((input: LimitKeyInput<Args>) => string | Promise<string>);

export const LIMIT_KEYS: readonly string[] = ['user', 'user+tool', 'tenant'];
