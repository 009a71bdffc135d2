import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';
import { clientConfig, PageSession } from './helpers';

let server: DevServer;
let config: client.Configuration;

beforeAll(async () => {
  server = await startDevServer({ fga: false, cibaIntervalSeconds: 1 });
  config = await clientConfig(server);
});
afterAll(async () => {
  await server.close();
});

async function requestApproval(sub: string, bindingMessage: string, details: unknown[]) {
  const started = await client.initiateBackchannelAuthentication(config, {
    scope: 'openid refunds:write',
    login_hint: JSON.stringify({ format: 'iss_sub', iss: server.issuer, sub }),
    binding_message: bindingMessage,
    authorization_details: JSON.stringify(details),
  });
  const item = server.approvals.list({ sub }).find((entry) => entry.bindingMessage === bindingMessage);
  if (!item) throw new Error('approval not registered');
  return { started, item };
}

describe('approval inbox (HTTP)', () => {
  it('sends signed-out users through the login page and back', async () => {
    const response = await fetch(server.url('/inbox'), { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.pathname).toBe('/authorize');
    expect(location.searchParams.get('client_id')).toBe('agentgate-dev-pages');

    const browser = new PageSession();
    const { response: inbox, url } = await browser.signIn(server.url('/inbox'), 'bob@acme', 'bob-password');
    expect(url.pathname).toBe('/inbox');
    expect(await inbox.text()).toContain('Signed in as <strong id="signed-in-as">Bob Brown</strong>');
  });

  it("shows only the user's own requests and refuses another user's with 403", async () => {
    const alice = await requestApproval('alice', 'Refund for Alice', [
      { type: 'refund', orderId: '1042', amount: 240, currency: 'EUR' },
    ]);
    const bob = await requestApproval('bob', 'Refund for Bob', [
      { type: 'refund', orderId: '<b>77</b>', amount: '12.5', currency: 'USD' },
    ]);

    const browser = new PageSession();
    const { response } = await browser.signIn(server.url('/inbox'), 'bob@acme', 'bob-password');
    const html = await response.text();
    expect(html).toContain('Refund for Bob');
    expect(html).not.toContain('Refund for Alice');
    expect(html).toContain('Refund 12.5 USD on order &lt;b&gt;77&lt;/b&gt;');
    expect(html).not.toContain('<b>77</b>');

    const ownPage = await browser.request(server.url(`/inbox/${bob.item.id}`));
    expect(ownPage.status).toBe(200);
    expect(await ownPage.text()).toContain('Refund for Bob');
    const foreignPage = await browser.request(server.url(`/inbox/${alice.item.id}`));
    expect(foreignPage.status).toBe(403);
    const bobCsrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const foreignApprove = await browser.request(server.url(`/inbox/${alice.item.id}/approve`), {
      form: { csrf: bobCsrf },
    });
    expect(foreignApprove.status).toBe(403);
    expect(server.approvals.list({ sub: 'alice' }).find((item) => item.id === alice.item.id)?.status).toBe(
      'pending',
    );

    const noCsrf = await browser.request(server.url(`/inbox/${bob.item.id}/approve`), { form: {} });
    expect(noCsrf.status).toBe(403);
    const wrongCsrf = await browser.request(server.url(`/inbox/${bob.item.id}/deny`), {
      form: { csrf: 'forged' },
    });
    expect(wrongCsrf.status).toBe(403);

    const anonymous = await fetch(server.url(`/inbox/${bob.item.id}/approve`), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${bobCsrf}`,
    });
    expect(anonymous.status).toBe(401);

    const denied = await browser.request(server.url(`/inbox/${bob.item.id}/deny`), {
      form: { csrf: bobCsrf },
    });
    expect(denied.status).toBe(303);
    expect(server.approvals.list({ sub: 'bob' }).find((item) => item.id === bob.item.id)?.status).toBe(
      'denied',
    );
    await expect(client.pollBackchannelAuthenticationGrant(config, bob.started)).rejects.toMatchObject({
      error: 'access_denied',
      error_description: 'the end-user denied the request',
    });
  });

  it('approving in the inbox releases tokens with the authorization details and the session acr', async () => {
    const details = [
      { type: 'agent_action', tool: 'send_email', argsDigest: 'sha256:0f3a', summary: 'Email the Q3 report' },
    ];
    const { started, item } = await requestApproval('alice', 'Send the report', details);
    const browser = new PageSession();
    const { response } = await browser.signIn(
      server.url('/inbox'),
      'alice@acme',
      'alice-password',
      server.otpCode,
    );
    const html = await response.text();
    expect(html).toContain('Email the Q3 report (tool send_email)');
    const csrf = new RegExp(`action="/inbox/${item.id}/approve"[\\s\\S]*?name="csrf" value="([^"]+)"`).exec(
      html,
    )?.[1];
    const approved = await browser.request(server.url(`/inbox/${item.id}/approve`), {
      form: { csrf: csrf ?? '' },
    });
    expect(approved.status).toBe(303);
    const tokens = await client.pollBackchannelAuthenticationGrant(config, started);
    expect(tokens.authorization_details).toEqual(details);
    expect(tokens.claims()).toMatchObject({ sub: 'alice', acr: 'urn:agentgate:loa:2', amr: ['pwd', 'otp'] });
  });
});
