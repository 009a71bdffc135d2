import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';
import { clientConfig } from './helpers';

let server: DevServer;
let config: client.Configuration;

beforeAll(async () => {
  server = await startDevServer({ fga: false, cibaIntervalSeconds: 1 });
  config = await clientConfig(server);
});
afterAll(async () => {
  await server.close();
});

describe('DevApprovals decisions', () => {
  it('lets exactly one of a concurrent approve and deny win', async () => {
    const started = await client.initiateBackchannelAuthentication(config, {
      scope: 'openid refunds:write',
      login_hint: 'alice@acme',
      authorization_details: JSON.stringify([{ type: 'refund', orderId: '7', amount: 5, currency: 'EUR' }]),
    });
    const item = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
    const [approved, denied] = await Promise.allSettled([
      server.approvals.approve(item.id),
      server.approvals.deny(item.id),
    ]);
    expect(approved).toMatchObject({ status: 'fulfilled', value: { status: 'approved' } });
    expect(denied).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/being approved/) },
    });
    expect(server.approvals.list().find((entry) => entry.id === item.id)?.status).toBe('approved');
    // The client sees the one decision that won.
    const tokens = await client.pollBackchannelAuthenticationGrant(config, started);
    expect(tokens.access_token).toEqual(expect.any(String));
  });
});

describe('DevServer.close', () => {
  it('rejects a pending waitFor instead of leaving its timer running', async () => {
    const own = await startDevServer({ fga: false });
    const waiting = own.approvals.waitFor({ sub: 'nobody', timeoutMs: 60_000 });
    const outcome = waiting.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await own.close();
    expect(await outcome).toMatch(/closed/);
  });
});
