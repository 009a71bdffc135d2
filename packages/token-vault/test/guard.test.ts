import {
  ConnectionTokenRejected,
  createGate,
  type Gate,
  GateInterrupt,
  getCredential,
  type MemoryAuditSink,
  memoryAudit,
} from '@agentgate/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectionCredentialKey, getConnectionToken, type TokenVault } from '../src';
import { type DevVaultServer, startDevVaultServer } from './support/dev-vault-server';
import { CONNECTION, listEvents, rejectionOf, vaultFor } from './support/fixtures';

let server: DevVaultServer;
let alice: Awaited<ReturnType<DevVaultServer['session']>>;
let gate: Gate;
let audit: MemoryAuditSink;
let vault: TokenVault;
const tool = { name: 'list_events' };

beforeAll(async () => {
  server = await startDevVaultServer();
  alice = await server.session(server.users[0]!.username);
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  await server.connections.disconnect(alice.session.user.sub, CONNECTION);
  audit = memoryAudit();
  gate = createGate({ audit });
  vault = vaultFor(server);
});

/** The tool: calls the provider with the token its guard attached, and reports a 401 as a rejected token. */
async function listEventsTool(): Promise<{ user?: string }> {
  const { status, body } = await listEvents(server, getConnectionToken(CONNECTION));
  if (status === 401) throw new ConnectionTokenRejected(CONNECTION);
  return body;
}

describe('vault.guard', () => {
  it('attaches the token to the call and annotates the audit event with the connection', async () => {
    await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
    const guard = vault.guard({ connection: CONNECTION, scopes: ['events.read'] });
    expect(guard).toMatchObject({ name: `vault(${CONNECTION})`, kind: 'vault' });
    const result = await gate.run({ tool, args: {} }, alice.session, [guard], async () => {
      expect(getCredential<string>(connectionCredentialKey(CONNECTION))).toBe(getConnectionToken(CONNECTION));
      return listEventsTool();
    });
    expect(result).toEqual({ user: alice.session.user.sub, items: [] });
    expect(audit.events.find((event) => event.phase === 'guard')).toMatchObject({
      guard: `vault(${CONNECTION})`,
      outcome: 'allow',
      connection: CONNECTION,
    });
    expect(JSON.stringify(audit.events)).not.toContain(alice.accessToken);
  });

  it('interrupts the call with CONNECTION_REQUIRED and never runs the tool when not connected', async () => {
    let ran = false;
    const error = await rejectionOf(
      gate.run(
        { tool, args: {} },
        alice.session,
        [vault.guard({ connection: CONNECTION, scopes: ['events.read'] })],
        () => {
          ran = true;
        },
      ),
    );
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(GateInterrupt);
    expect((error as GateInterrupt).toJSON()).toMatchObject({
      kind: 'interrupt',
      code: 'CONNECTION_REQUIRED',
      guard: `vault(${CONNECTION})`,
      details: { connection: CONNECTION, requiredScopes: ['events.read'], connectUrl: expect.any(String) },
    });
    expect(audit.events.at(-1)).toMatchObject({ outcome: 'interrupt', code: 'CONNECTION_REQUIRED' });
  });

  it('drops a token the provider rejected and retries the tool once with a fresh one', async () => {
    await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
    const guard = vault.guard({ connection: CONNECTION, scopes: ['events.read'] });
    const stale = await vault.getToken(alice.session, { connection: CONNECTION, scopes: ['events.read'] });
    // Connecting again supersedes the grant: the provider revokes the old tokens, the vault's cache still has one.
    await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
    expect((await listEvents(server, stale.accessToken)).status).toBe(401);

    const before = server.connections.exchangeCount({ outcome: 'issued' });
    const seen: string[] = [];
    const result = await gate.run({ tool, args: {} }, alice.session, [guard], () => {
      seen.push(getConnectionToken(CONNECTION));
      return listEventsTool();
    });
    expect(result).toMatchObject({ user: alice.session.user.sub });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(stale.accessToken);
    expect(seen[1]).not.toBe(stale.accessToken);
    expect(server.connections.exchangeCount({ outcome: 'issued' })).toBe(before + 1);
    expect(audit.events.map((event) => `${event.phase}:${event.outcome}`)).toEqual([
      'guard:allow',
      'execute:retry',
      'guard:allow',
      'execute:executed',
    ]);
  });

  it('interrupts after the retry when the user revoked access at the provider', async () => {
    await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
    const guard = vault.guard({ connection: CONNECTION, scopes: ['events.read'] });
    await gate.run({ tool, args: {} }, alice.session, [guard], listEventsTool);
    server.connections.revokeExternally(alice.session.user.sub, CONNECTION);
    let runs = 0;
    await expect(
      gate.run({ tool, args: {} }, alice.session, [guard], () => {
        runs += 1;
        return listEventsTool();
      }),
    ).rejects.toMatchObject({ code: 'CONNECTION_REQUIRED', details: { failure: 'not_connected' } });
    expect(runs).toBe(1);
  });

  it('does not recover from a rejection for another connection', async () => {
    await server.connections.connect(alice.session.user.sub, CONNECTION, { scopes: ['events.read'] });
    let runs = 0;
    await expect(
      gate.run(
        { tool, args: {} },
        alice.session,
        [vault.guard({ connection: CONNECTION, scopes: ['events.read'] })],
        () => {
          runs += 1;
          throw new ConnectionTokenRejected('acme-mail');
        },
      ),
    ).rejects.toMatchObject({ code: 'CONNECTION_TOKEN_REJECTED', connection: 'acme-mail' });
    expect(runs).toBe(1);
  });

  it('refuses getConnectionToken outside a call or for a connection no guard attached', async () => {
    expect(() => getConnectionToken(CONNECTION)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    await expect(
      gate.run({ tool, args: {} }, alice.session, [], () => getConnectionToken(CONNECTION)),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });

  it.each([
    [{ connection: '', scopes: ['events.read'] }],
    [{ connection: 'acme calendar', scopes: ['events.read'] }],
    [{ connection: CONNECTION, scopes: [] }],
    [{ connection: CONNECTION, scopes: ['events read'] }],
    [{ connection: CONNECTION, scopes: 'events.read' }],
  ])('throws a TypeError at creation for a malformed request %j', (request) => {
    expect(() => vault.guard(request as never)).toThrow(TypeError);
  });
});
