/**
 * The path of one tool call across packages, over real HTTP: a user logs in at the dev server, identity verifies the
 * access token into a session, the gate checks scopes, the token vault exchanges for a short-lived provider token,
 * the tool calls the provider's API, and every decision lands in a verified audit chain without a token in it.
 */
import {
  ConnectionTokenRejected,
  createGate,
  type GatedFunction,
  isGateInterrupt,
  type MemoryAuditSink,
  memoryAudit,
  runWithSession,
  verifyAuditChain,
} from '@agentgate/core';
import { type DevServer, startDevServer } from '@agentgate/dev-server';
import { requireScopes, verifyAccessToken } from '@agentgate/identity';
import { createTokenVault, getConnectionToken, type TokenVault } from '@agentgate/token-vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

let server: DevServer;
let vault: TokenVault;
let audit: MemoryAuditSink;
let listEvents: GatedFunction<Record<string, never>, { user: string; items: unknown[] }>;
const providerTokensSeen: string[] = [];

beforeAll(async () => {
  server = await startDevServer({ fga: false });
  const agent = server.clients[0]!;
  vault = createTokenVault({
    issuer: server.issuer,
    clientId: agent.clientId,
    clientSecret: agent.clientSecret,
    dialect: 'auth0',
    allowInsecureRequests: true,
    connectUrl: ({ connection, scopes }) =>
      server.url(`/connections/${connection}/connect?scopes=${encodeURIComponent(scopes.join(' '))}`),
  });
  audit = memoryAudit();
  const gate = createGate({ audit, agent: { id: 'calendar-agent' } });
  listEvents = gate.protect(
    { name: 'list_events', description: 'Lists the user’s calendar events', schema: z.object({}).strict() },
    [requireScopes('calendar:read'), vault.guard({ connection: 'acme-calendar', scopes: ['events.read'] })],
    async () => {
      const token = getConnectionToken('acme-calendar');
      providerTokensSeen.push(token);
      const response = await fetch(`${server.connections.apiUrl('acme-calendar')}/events`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (response.status === 401) throw new ConnectionTokenRejected('acme-calendar');
      if (!response.ok) throw new Error(`calendar API answered ${response.status}`);
      return (await response.json()) as { user: string; items: unknown[] };
    },
  );
});

afterAll(async () => {
  await server?.close();
});

async function sessionFor(username: string, scope: string) {
  const tokens = await server.login(username, { scope });
  const session = await verifyAccessToken(tokens.access_token, {
    issuer: server.issuer,
    audience: server.apiAudience,
  });
  return { session, accessToken: tokens.access_token };
}

describe('the path of a tool call', () => {
  it('interrupts until the account is connected, then acts for the verified user only', async () => {
    const { session, accessToken } = await sessionFor('alice@acme', 'openid offline_access calendar:read');
    expect(session).toMatchObject({ user: { sub: 'alice' }, tenant: 'acme' });
    expect(session.scopes).toContain('calendar:read');

    const interrupt = await runWithSession(session, () => listEvents({})).catch((error: unknown) => error);
    const overTheWire = JSON.parse(JSON.stringify(interrupt));
    expect(isGateInterrupt(overTheWire)).toBe(true);
    expect(overTheWire).toMatchObject({
      code: 'CONNECTION_REQUIRED',
      details: { connection: 'acme-calendar', requiredScopes: ['events.read'] },
    });
    expect(overTheWire.details.connectUrl).toBe(
      server.url('/connections/acme-calendar/connect?scopes=events.read'),
    );

    await server.connections.connect('alice@acme', 'acme-calendar', { scopes: ['events.read'] });
    const before = server.connections.exchangeCount();
    await expect(runWithSession(session, () => listEvents({}))).resolves.toEqual({
      user: 'alice',
      items: [],
    });
    await expect(runWithSession(session, () => listEvents({}))).resolves.toEqual({
      user: 'alice',
      items: [],
    });
    expect(server.connections.exchangeCount() - before).toBe(1); // the second call used the cached token

    const trail = JSON.stringify(audit.events);
    expect(trail).not.toContain(accessToken);
    for (const token of providerTokensSeen) expect(trail).not.toContain(token);
    expect(verifyAuditChain(audit.events).valid).toBe(true);
  });

  it('denies a session without the scope before any token exchange', async () => {
    const { session } = await sessionFor('bob@acme', 'openid offline_access docs:read');
    const before = server.connections.exchangeCount();
    await expect(runWithSession(session, () => listEvents({}))).rejects.toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      details: { missing: ['calendar:read'] },
    });
    expect(server.connections.exchangeCount()).toBe(before);
    expect(audit.events.at(-1)).toMatchObject({ sub: 'bob', outcome: 'deny', code: 'INSUFFICIENT_SCOPE' });
  });

  it('drops a token the provider rejects, exchanges again, and asks to reconnect when access was revoked', async () => {
    const { session } = await sessionFor('alice@acme', 'openid offline_access calendar:read');
    await expect(runWithSession(session, () => listEvents({}))).resolves.toMatchObject({ user: 'alice' });
    server.connections.revokeExternally('alice', 'acme-calendar');
    const error = await runWithSession(session, () => listEvents({})).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'CONNECTION_REQUIRED', details: { connection: 'acme-calendar' } });
    const outcomes = audit.events.slice(-3).map((event) => [event.outcome, event.code]);
    expect(outcomes).toEqual([
      ['allow', undefined],
      ['retry', 'CONNECTION_TOKEN_REJECTED'],
      ['interrupt', 'CONNECTION_REQUIRED'],
    ]);
    expect(verifyAuditChain(audit.events).valid).toBe(true);
  });
});
