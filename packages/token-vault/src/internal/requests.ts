import { type AgentSession, assertKnownOptions, GateDenied } from '@agentgate/core';
import type { ConnectionRequest } from '../token-vault';
import { readScopeList } from './scopes';

/** A session the vault can act for: a user and a way to get their subject token. */
export function assertSession(session: AgentSession): void {
  if (typeof session?.user?.sub !== 'string' || typeof session.subjectToken !== 'function') {
    throw new GateDenied('NO_SESSION', 'the token vault needs a session with a user and a subject token');
  }
}

/**
 * A connection name and a non-empty scope set (deduplicated, sorted); `getToken` also takes a `signal`.
 * @throws TypeError otherwise, and for any other key (a typo such as `scope` would be dropped silently)
 */
export function validateRequest(
  request: ConnectionRequest & { signal?: AbortSignal },
  method: 'getToken' | 'guard' | 'invalidate',
): { connection: string; scopes: string[] } {
  if (typeof request !== 'object' || request === null) {
    throw new TypeError(
      `vault.${method}: pass { connection, scopes }, e.g. { connection: 'acme-calendar', scopes: ['events.read'] }`,
    );
  }
  assertKnownOptions(
    `vault.${method}`,
    request,
    method === 'getToken' ? ['connection', 'scopes', 'signal'] : ['connection', 'scopes'],
    'request',
  );
  if (request.signal !== undefined && !(request.signal instanceof AbortSignal)) {
    throw new TypeError(`vault.${method}: request.signal must be an AbortSignal`);
  }
  const connection = request.connection;
  if (typeof connection !== 'string' || !/^[\w.:-]+$/.test(connection)) {
    throw new TypeError(
      `vault.${method}: request.connection must be a non-empty name (letters, digits, '.', ':', '_', '-')`,
    );
  }
  return { connection, scopes: readScopeList(`vault.${method}: request.scopes`, request.scopes) };
}
