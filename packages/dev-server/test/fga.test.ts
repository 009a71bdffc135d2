import { OpenFgaClient } from '@openfga/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, defaultSeed, startDevServer } from '../src/index';

let server: DevServer;
let fga: OpenFgaClient;

beforeAll(async () => {
  server = await startDevServer();
  fga = new OpenFgaClient({
    apiUrl: server.fga.apiUrl,
    storeId: server.fga.storeId,
    authorizationModelId: server.fga.authorizationModelId,
  });
});
afterAll(async () => {
  await server.close();
});

describe('DevServer.fga', () => {
  it('serves the seeded store and model through @openfga/sdk', async () => {
    expect(server.fga.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const store = await fga.getStore();
    expect(store.id).toBe(server.fga.storeId);
    const model = await fga.readAuthorizationModel();
    expect(model.authorization_model?.type_definitions?.map((definition) => definition.type)).toEqual(
      expect.arrayContaining(['user', 'group', 'folder', 'doc', 'order']),
    );
  });

  it.each([
    ['user:alice', 'viewer', 'doc:acme-onboarding', true],
    ['user:bob', 'viewer', 'doc:acme-expenses', true],
    ['user:bob', 'viewer', 'doc:acme-roadmap', false],
    ['user:alice', 'viewer', 'doc:acme-roadmap', true],
    ['user:carol', 'viewer', 'doc:acme-onboarding', false],
    ['user:carol', 'viewer', 'doc:globex-merger', true],
    ['user:bob', 'editor', 'doc:acme-onboarding', false],
    ['user:alice', 'editor', 'doc:acme-onboarding', true],
    ['user:alice', 'can_refund', 'order:1042', true],
    ['user:bob', 'can_refund', 'order:1042', false],
    ['user:bob', 'can_view', 'order:1042', true],
  ])('check(%s, %s, %s) is %s', async (user, relation, object, allowed) => {
    const result = await fga.check({ user, relation, object });
    expect(result.allowed).toBe(allowed);
  });

  it('lists the documents a user may view', async () => {
    const { objects } = await fga.listObjects({ user: 'user:bob', relation: 'viewer', type: 'doc' });
    expect(objects.sort()).toEqual(['doc:acme-expenses', 'doc:acme-onboarding']);
  });
});

describe('startDevServer with a broken FGA seed', () => {
  it('fails with a clear error instead of serving an unseeded store', async () => {
    await expect(
      startDevServer({ seed: { ...defaultSeed, fga: { model: 'model\n  schema 1.1\ntype', tuples: [] } } }),
    ).rejects.toThrow(/could not seed the FGA store/);
  });
});

describe('startDevServer on all interfaces', () => {
  it('still serves the unauthenticated FGA API on loopback only', async () => {
    const { networkInterfaces } = await import('node:os');
    const { connect } = await import('node:net');
    const own = await startDevServer({ host: '0.0.0.0' });
    try {
      const apiUrl = new URL(own.fga.apiUrl);
      expect(apiUrl.hostname).toBe('127.0.0.1');
      const reachable = (host: string) =>
        new Promise<boolean>((resolve) => {
          const socket = connect({ host, port: Number(apiUrl.port) });
          socket.once('connect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        });
      expect(await reachable('127.0.0.1')).toBe(true);
      const external = Object.values(networkInterfaces())
        .flat()
        .find((entry) => entry && !entry.internal && entry.family === 'IPv4');
      // The dev server itself answers on that address; the FGA port does not.
      if (external) {
        expect(await reachable(external.address)).toBe(false);
        expect(
          await new Promise<boolean>((resolve) => {
            const socket = connect({ host: external.address, port: own.port });
            socket.once('connect', () => {
              socket.destroy();
              resolve(true);
            });
            socket.once('error', () => resolve(false));
          }),
        ).toBe(true);
      }
    } finally {
      await own.close();
    }
  });
});
