import { inspect } from 'node:util';
import { createTokenVault, type TokenVault, type TokenVaultOptions } from '../../src';
import type { DevVaultServer } from './dev-vault-server';

export const CONNECTION = 'acme-calendar';

/** A vault against the dev server, with a connect link that points at the dev server's connect route. */
export function vaultFor(server: DevVaultServer, options: Partial<TokenVaultOptions> = {}): TokenVault {
  return createTokenVault({
    issuer: server.issuer,
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    dialect: 'rfc8693',
    allowInsecureRequests: true,
    connectUrl: ({ connection, scopes }) =>
      `${server.issuer.replace(/\/$/, '')}/connections/${connection}/connect?${new URLSearchParams({ scopes: scopes.join(' ') })}`,
    ...options,
  });
}

/** Calls the mock provider's events API with a connection token. */
export async function listEvents(
  server: DevVaultServer,
  accessToken: string,
): Promise<{ status: number; body: { user?: string; items?: { title?: string }[] } }> {
  const response = await fetch(`${server.connections.apiUrl(CONNECTION)}/events`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return { status: response.status, body: (await response.json()) as { user?: string } };
}

export async function addEvent(server: DevVaultServer, accessToken: string, title: string): Promise<number> {
  const response = await fetch(`${server.connections.apiUrl(CONNECTION)}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
  });
  await response.body?.cancel();
  return response.status;
}

/** Everything an error shows: message, JSON form, details, and the full inspected cause chain. */
export function everythingShown(error: unknown): string {
  return [String(error), JSON.stringify(error), inspect(error, { depth: 20 })].join('\n');
}

/** Awaits a promise that must reject, and returns the rejection. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
