import { type AgentSession, GateDenied } from '@agentgate/core';
import type { ConnectionRequest } from '../token-vault';

/** A session the vault can act for: a user and a way to get their subject token. */
export function assertSession(session: AgentSession): void {
  if (typeof session?.user?.sub !== 'string' || typeof session.subjectToken !== 'function') {
    throw new GateDenied('NO_SESSION', 'the token vault needs a session with a user and a subject token');
  }
}

/** A connection name and a non-empty scope set (deduplicated, sorted). @throws TypeError otherwise. */
export function validateRequest(
  request: ConnectionRequest,
  method: string,
): { connection: string; scopes: string[] } {
  const connection = request?.connection;
  if (typeof connection !== 'string' || !/^[\w.:-]+$/.test(connection)) {
    throw new TypeError(
      `vault.${method}: connection must be a non-empty name (letters, digits, '.', ':', '_', '-')`,
    );
  }
  const scopes = request.scopes;
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    scopes.some((scope) => typeof scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))
  ) {
    throw new TypeError(`vault.${method}: scopes must be a non-empty array of OAuth scope tokens`);
  }
  return { connection, scopes: [...new Set(scopes as string[])].sort() };
}
