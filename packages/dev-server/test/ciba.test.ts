import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';
import { clientConfig, verifyApiToken } from './helpers';

const cibaGrant = 'urn:openid:params:grant-type:ciba';
const refund = { type: 'refund', orderId: '1042', amount: 240, currency: 'EUR' };

let server: DevServer;
let config: client.Configuration;

beforeAll(async () => {
  server = await startDevServer({ fga: false, cibaIntervalSeconds: 1 });
  config = await clientConfig(server);
});
afterAll(async () => {
  await server.close();
});

const issSub = (sub: string) => JSON.stringify({ format: 'iss_sub', iss: server.issuer, sub });

describe('CIBA with rich authorization requests', () => {
  it('approve: the poll returns tokens carrying the approved authorization_details', async () => {
    const started = await client.initiateBackchannelAuthentication(config, {
      scope: 'openid refunds:write',
      login_hint: issSub('alice'),
      binding_message: 'Refund 240 EUR on order 1042',
      authorization_details: JSON.stringify([refund]),
      requested_expiry: '120',
    });
    expect(started.interval).toBe(1);
    expect(started.expires_in).toBeLessThanOrEqual(120);

    const item = await server.approvals.waitFor({ sub: 'alice', clientId: 'agentgate-agent' });
    expect(item).toMatchObject({
      sub: 'alice',
      clientId: 'agentgate-agent',
      clientName: 'AgentGate Demo Agent',
      bindingMessage: 'Refund 240 EUR on order 1042',
      authorizationDetails: [refund],
      scope: 'openid refunds:write',
      status: 'pending',
    });
    expect(item.expiresAt).toBeGreaterThan(Date.now() / 1000);

    const polling = client.pollBackchannelAuthenticationGrant(config, started);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.approvals.approve(item.id);
    const tokens = await polling;

    expect(tokens.authorization_details).toEqual([refund]);
    const { payload } = await verifyApiToken(server, tokens.access_token);
    expect(payload).toMatchObject({
      sub: 'alice',
      scope: 'refunds:write',
      tenant: 'acme',
      authorization_details: [refund],
      acr: 'urn:agentgate:loa:2',
      amr: ['hwk'],
    });
    expect(server.approvals.list({ sub: 'alice' }).find((entry) => entry.id === item.id)?.status).toBe(
      'approved',
    );
    await expect(server.approvals.approve(item.id)).rejects.toThrow(/approved/);
  });

  it('deny: the poll fails with access_denied', async () => {
    const started = await client.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: 'bob@acme',
      binding_message: 'Pay 10 EUR',
      authorization_details: JSON.stringify([
        { type: 'payment', amount: '10.00', currency: 'EUR', creditor: 'ACME' },
      ]),
    });
    const item = await server.approvals.waitFor({ sub: 'bob', status: 'pending' });
    await server.approvals.deny(item.id);
    await expect(client.pollBackchannelAuthenticationGrant(config, started)).rejects.toMatchObject({
      error: 'access_denied',
      error_description: 'the end-user denied the request',
    });
    expect(server.approvals.list({ sub: 'bob', status: 'denied' }).map((entry) => entry.id)).toContain(
      item.id,
    );
  });

  it('authorization_details without an audience: a JWT for the demo API carrying the details', async () => {
    const started = await client.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: 'alice',
      authorization_details: JSON.stringify([refund]),
    });
    const item = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
    await server.approvals.approve(item.id);
    const tokens = await client.genericGrantRequest(config, cibaGrant, { auth_req_id: started.auth_req_id });

    expect(tokens.authorization_details).toEqual([refund]);
    const { payload } = await verifyApiToken(server, tokens.access_token);
    expect(payload).toMatchObject({ aud: server.apiAudience, sub: 'alice', authorization_details: [refund] });
    expect(payload.scope).toBeUndefined();
  });

  it('neither authorization_details nor API scopes: an opaque token for /userinfo', async () => {
    const started = await client.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: 'alice',
    });
    const item = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
    await server.approvals.approve(item.id);
    const tokens = await client.genericGrantRequest(config, cibaGrant, { auth_req_id: started.auth_req_id });
    expect(tokens.access_token.split('.')).toHaveLength(1);
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, 'alice');
    expect(userinfo.sub).toBe('alice');
  });

  it('expiry: the poll fails with expired_token', async () => {
    const started = await client.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: issSub('carol'),
      requested_expiry: '1',
    });
    expect(started.expires_in).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // openid-client stops polling on its own once expires_in passed; ask the server directly.
    await expect(
      client.genericGrantRequest(config, cibaGrant, { auth_req_id: started.auth_req_id }),
    ).rejects.toMatchObject({ error: 'expired_token' });
    const [expired] = server.approvals.list({ sub: 'carol', status: 'expired' });
    expect(expired).toBeDefined();
    await expect(server.approvals.approve(expired?.id ?? '')).rejects.toThrow(/is expired/);
    await expect(
      server.approvals.waitFor({ sub: 'carol', status: 'pending', timeoutMs: 50 }),
    ).rejects.toThrow(/within 50 ms/);
  });

  it('polling faster than the interval gets slow_down', async () => {
    const started = await client.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: 'alice@acme',
    });
    await expect(
      client.genericGrantRequest(config, cibaGrant, { auth_req_id: started.auth_req_id }),
    ).rejects.toMatchObject({ error: 'authorization_pending' });
    await expect(
      client.genericGrantRequest(config, cibaGrant, { auth_req_id: started.auth_req_id }),
    ).rejects.toMatchObject({ error: 'slow_down' });
  });

  it('accepts a binding message with spaces and rejects one over 64 characters', async () => {
    await expect(
      client.initiateBackchannelAuthentication(config, {
        scope: 'openid',
        login_hint: 'alice',
        binding_message: 'Approve the refund: order #1042, 240.00 EUR',
      }),
    ).resolves.toMatchObject({ auth_req_id: expect.any(String) });
    await expect(
      client.initiateBackchannelAuthentication(config, {
        scope: 'openid',
        login_hint: 'alice',
        binding_message: 'x'.repeat(65),
      }),
    ).rejects.toMatchObject({ error: 'invalid_binding_message' });
    await expect(
      client.initiateBackchannelAuthentication(config, {
        scope: 'openid',
        login_hint: 'alice',
        binding_message: 'Pay <b>now</b>',
      }),
    ).rejects.toMatchObject({ error: 'invalid_binding_message' });
  });

  it('validates authorization_details against the registered types', async () => {
    const attempt = (details: unknown) =>
      client.initiateBackchannelAuthentication(config, {
        scope: 'openid',
        login_hint: 'alice',
        authorization_details: JSON.stringify(details),
      });
    await expect(attempt([{ type: 'wire_transfer', amount: 1 }])).rejects.toMatchObject({
      error: 'invalid_authorization_details',
    });
    await expect(
      attempt([{ type: 'refund', orderId: '1042', amount: 240, currency: 'euro' }]),
    ).rejects.toMatchObject({
      error: 'invalid_authorization_details',
      error_description: expect.stringContaining('currency'),
    });
    await expect(attempt([{ type: 'agent_action', summary: 'no tool' }])).rejects.toMatchObject({
      error: 'invalid_authorization_details',
    });
    await expect(
      attempt([{ type: 'agent_action', tool: 'send_email', argsDigest: 'sha256:abc' }]),
    ).resolves.toMatchObject({ auth_req_id: expect.any(String) });
  });

  it('identifies the user from iss_sub, a username or a subject, and rejects strangers', async () => {
    await expect(
      client.initiateBackchannelAuthentication(config, {
        scope: 'openid',
        login_hint: JSON.stringify({ format: 'iss_sub', iss: 'https://other.example/', sub: 'alice' }),
      }),
    ).rejects.toMatchObject({ error: 'invalid_request' });
    await expect(
      client.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: 'mallory' }),
    ).rejects.toMatchObject({ error: 'unknown_user_id' });
    const bySubject = await client.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: 'carol',
      binding_message: 'by subject',
    });
    expect(bySubject.auth_req_id).toEqual(expect.any(String));
    expect(
      server.approvals.list({ sub: 'carol', status: 'pending' }).map((item) => item.bindingMessage),
    ).toContain('by subject');
  });

  it('accepts Auth0-style JSON at /bc-authorize with audience', async () => {
    const response = await fetch(server.url('/bc-authorize'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: 'agentgate-agent',
        client_secret: 'agentgate-agent-secret',
        scope: 'openid refunds:write',
        audience: server.apiAudience,
        login_hint: issSub('bob'),
        binding_message: 'json body',
        authorization_details: [{ type: 'calendar_event', action: 'create', title: 'Standup' }],
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { auth_req_id: string; interval: number };
    expect(body.interval).toBe(1);
    const item = server.approvals.list({ sub: 'bob' }).find((entry) => entry.bindingMessage === 'json body');
    expect(item?.authorizationDetails).toEqual([
      { type: 'calendar_event', action: 'create', title: 'Standup' },
    ]);
  });
});
