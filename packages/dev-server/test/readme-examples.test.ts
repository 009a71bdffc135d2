import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import { startDevServer, TOKEN_EXCHANGE_GRANT_TYPE } from '../src/index';

// The README's examples, run as written (only the assertions are added).
describe('README examples', () => {
  it('connected accounts: connect, exchange, call the mock calendar API', async () => {
    const server = await startDevServer({ fga: false });
    try {
      // Alice connects her Acme Calendar account (real HTTP: login page, connect form, authorize, callback).
      await server.connections.connect('alice@acme', 'acme-calendar', {
        scopes: ['events.read', 'events.write'],
      });

      // An agent holding Alice's token exchanges it for an Acme Calendar access token (RFC 8693).
      const { access_token: subjectToken } = await server.login('alice@acme');
      const config = await client.discovery(
        new URL(server.issuer),
        'agentgate-agent',
        'agentgate-agent-secret',
        undefined,
        { execute: [client.allowInsecureRequests] },
      );
      const calendar = await client.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT_TYPE, {
        subject_token: subjectToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        audience: server.connections.audience('acme-calendar'), // 'connection:acme-calendar'
        scope: 'events.read events.write',
      });

      // …and calls the mock calendar API with it.
      const api = `${server.connections.apiUrl('acme-calendar')}/events`;
      const authorization = `Bearer ${calendar.access_token}`;
      await fetch(api, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Standup', start: '2026-01-05T09:00:00Z' }),
      });
      const { items } = (await (await fetch(api, { headers: { authorization } })).json()) as {
        items: unknown[];
      };

      expect(items).toMatchObject([
        { title: 'Standup', start: '2026-01-05T09:00:00Z', id: expect.any(String) },
      ]);
      expect(calendar.scope).toBe('events.read events.write');
    } finally {
      await server.close();
    }
  });
});
