import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';
import { clientConfig, PageSession } from './helpers';

const redirectUri = 'http://127.0.0.1:3000/callback';
const forged = { type: 'refund', orderId: '9999', amount: 100000, currency: 'EUR' };
const approvedEvent = { type: 'calendar_event', action: 'create', title: 'Standup' };

let server: DevServer;
let config: client.Configuration;

beforeAll(async () => {
  server = await startDevServer({ fga: false, cibaIntervalSeconds: 1 });
  config = await clientConfig(server);
});
afterAll(async () => {
  await server.close();
});

/** Alice signs in and consents on the pages; returns the callback URL with the code and its verifier. */
async function authorizationCode(details?: Record<string, unknown>[]) {
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid offline_access calendar:write',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    prompt: 'consent',
    ...(details ? { authorization_details: JSON.stringify(details) } : {}),
  });
  const browser = new PageSession();
  const consent = await browser.signIn(url, 'alice@acme', 'alice-password');
  const confirm = /action="(\/interaction\/[\w-]+\/confirm)"/.exec(await consent.response.text())?.[1];
  if (!confirm) throw new Error('no consent form');
  const confirmUrl = new URL(confirm, consent.url);
  let response = await browser.request(confirmUrl, { form: {} });
  let location = new URL(response.headers.get('location') ?? '', confirmUrl);
  while (!location.href.startsWith(redirectUri)) {
    response = await browser.request(location);
    location = new URL(response.headers.get('location') ?? '', location);
  }
  return { location, verifier };
}

describe('authorization_details at the token endpoint', () => {
  it('refuses details the user never approved on a refresh_token grant', async () => {
    const tokens = await server.login('alice@acme');
    await expect(
      client.refreshTokenGrant(config, tokens.refresh_token ?? '', {
        authorization_details: JSON.stringify([forged]),
      }),
    ).rejects.toMatchObject({ error: 'invalid_authorization_details' });
  });

  it('refuses details the user never approved on an authorization_code grant', async () => {
    const { location, verifier } = await authorizationCode();
    await expect(
      client.authorizationCodeGrant(
        config,
        location,
        { pkceCodeVerifier: verifier },
        { authorization_details: JSON.stringify([forged]) },
      ),
    ).rejects.toMatchObject({ error: 'invalid_authorization_details' });
  });

  it('refuses approved details plus a forged one on the code grant, and keeps the approved ones on refresh', async () => {
    const { location, verifier } = await authorizationCode([approvedEvent]);
    await expect(
      client.authorizationCodeGrant(
        config,
        location,
        { pkceCodeVerifier: verifier },
        { authorization_details: JSON.stringify([approvedEvent, forged]) },
      ),
    ).rejects.toMatchObject({ error: 'invalid_authorization_details' });

    const second = await authorizationCode([approvedEvent]);
    const tokens = await client.authorizationCodeGrant(config, second.location, {
      pkceCodeVerifier: second.verifier,
    });
    expect(decodeJwt(tokens.access_token).authorization_details).toEqual([approvedEvent]);
    // Asking again for exactly what was approved is a subset and fine; anything else is not.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '', {
      authorization_details: JSON.stringify([approvedEvent]),
    });
    expect(decodeJwt(refreshed.access_token).authorization_details).toEqual([approvedEvent]);
    await expect(
      client.refreshTokenGrant(config, refreshed.refresh_token ?? '', {
        authorization_details: JSON.stringify([{ ...approvedEvent, title: 'Fire everyone' }]),
      }),
    ).rejects.toMatchObject({ error: 'invalid_authorization_details' });
  });

  it('refuses details beyond the approved ones when polling a CIBA grant', async () => {
    const approvedRefund = { type: 'refund', orderId: '1042', amount: 240, currency: 'EUR' };
    const started = await client.initiateBackchannelAuthentication(config, {
      scope: 'openid refunds:write',
      login_hint: 'alice@acme',
      authorization_details: JSON.stringify([approvedRefund]),
    });
    const item = await server.approvals.waitFor({ sub: 'alice', status: 'pending' });
    await server.approvals.approve(item.id);
    const response = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:openid:params:grant-type:ciba',
        auth_req_id: started.auth_req_id,
        client_id: 'agentgate-agent',
        client_secret: 'agentgate-agent-secret',
        authorization_details: JSON.stringify([approvedRefund, forged]),
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_authorization_details' });
  });

  it('still lets client_credentials name its own details (no user is involved)', async () => {
    const tokens = await client.clientCredentialsGrant(config, {
      scope: 'orders:read',
      resource: server.apiAudience,
      authorization_details: JSON.stringify([forged]),
    });
    expect(decodeJwt(tokens.access_token).authorization_details).toEqual([forged]);
  });
});
