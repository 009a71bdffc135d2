import { describe, expect, it } from 'vitest';
import { startMinimalVaultServer } from './vault-minimal-provider';

// Observed on a minimal provider, where the test controls the fetch (startDevServer passes its own, see https-in-process).
describe('createDevTokenVault fetch option', () => {
  it("routes the vault's own calls (the connect flow, the external provider) through the given fetch", async () => {
    const seen: string[] = [];
    const server = await startMinimalVaultServer({
      fetch: (input, init) => {
        seen.push(new URL(input instanceof Request ? input.url : input).pathname);
        return fetch(input, init);
      },
    });
    try {
      await server.connections.connect(server.users.alice.login, 'acme-calendar', {
        scopes: ['events.read'],
      });
      await server.connections.disconnect(server.users.alice.sub, 'acme-calendar');
      expect(seen).toEqual([
        '/connections',
        '/connections/acme-calendar/connect',
        '/ext/acme-calendar/authorize',
        '/connections/acme-calendar/callback',
        '/ext/acme-calendar/token',
        '/ext/acme-calendar/revoke',
      ]);
    } finally {
      await server.close();
    }
  });
});
