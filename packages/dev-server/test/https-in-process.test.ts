import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ https: true, fga: false });
});
afterAll(async () => {
  await server.close();
});

describe('startDevServer({ https: true }) in the same process', () => {
  it('trusts its own CA for its own calls, without changing what the process trusts', async () => {
    await expect(fetch(server.url('/.well-known/openid-configuration'))).rejects.toThrow();
    const discovery = await server.fetch(server.url('/.well-known/openid-configuration'));
    expect(await discovery.json()).toMatchObject({ issuer: server.issuer });
  });

  it('logs in, connects an account and serves the connection API over TLS', async () => {
    const tokens = await server.login('alice@acme');
    expect(tokens.access_token.split('.')).toHaveLength(3);
    const connected = await server.connections.connect('alice@acme', 'acme-calendar', {
      scopes: ['events.read'],
    });
    expect(connected).toMatchObject({ connection: 'acme-calendar' });
    expect(server.connections.list('alice').map((info) => info.connection)).toEqual(['acme-calendar']);
  });
});
