import { getCredential } from '@agentgate/core';

/** The credential key under which `vault.guard()` attaches a connection's token: `connection:<name>`. */
export function connectionCredentialKey(connection: string): string {
  return `connection:${connection}`;
}

/**
 * Reads, inside a gated tool, the provider token `vault.guard({ connection })` fetched for this call.
 *
 * @throws GateDenied `FORBIDDEN` outside a gated call, or when no vault guard for `connection` ran for it.
 * @example
 * const token = getConnectionToken('acme-calendar');
 * const response = await fetch(eventsUrl, { headers: { authorization: `Bearer ${token}` } });
 * if (response.status === 401) throw new ConnectionTokenRejected('acme-calendar'); // the gate retries once
 */
export function getConnectionToken(connection: string): string {
  return getCredential<string>(connectionCredentialKey(connection));
}
