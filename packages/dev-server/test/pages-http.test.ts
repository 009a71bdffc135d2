import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DevServer,
  defaultSeed,
  devPageStyles,
  devPageStylesHash,
  renderDevPage,
  startDevServer,
  validateSeed,
} from '../src/index';
import { expiryPhrase, relativeTime } from '../src/internal/pages/relative-time';
import { clientConfig, PageSession } from './helpers';

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ fga: false });
});
afterAll(async () => {
  await server.close();
});

/** Every HTML page: the shared template, and nothing a strict CSP would have to allow inline. */
function expectSharedTemplate(html: string): void {
  expect(html).toContain('<html lang="en">');
  expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(html).toContain('<link rel="stylesheet" href="/assets/agentgate-dev.css">');
  expect(html).toContain('Local development server — not for production');
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
}

function expectPageHeaders(response: Response): void {
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('cache-control')).toBe('no-store');
}

describe('dev-server pages over HTTP', () => {
  it('serves the stylesheet and the client script from the server itself', async () => {
    const css = await fetch(server.url('/assets/agentgate-dev.css'));
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await css.text()).toBe(devPageStyles);
    const script = await fetch(server.url('/assets/agentgate-dev.js'));
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('data-live');
  });

  it('uses the shared template and strict headers on the home, login, inbox and connections pages', async () => {
    const home = await fetch(server.url('/'));
    expectPageHeaders(home);
    expectSharedTemplate(await home.text());

    const browser = new PageSession();
    const { response: login } = await browser.follow(server.url('/inbox'));
    expectPageHeaders(login);
    const loginHtml = await login.text();
    expectSharedTemplate(loginHtml);
    // Sign-in ends at the client's redirect_uri: no form-action there, which Chromium would apply to it.
    expect(login.headers.get('content-security-policy')).not.toContain('form-action');
    expect(loginHtml).toContain(
      'Sign in to continue to <strong id="client-name">the AgentGate dev server</strong>',
    );

    const { response: inbox } = await browser.signIn(server.url('/inbox'), 'bob@acme', 'bob-password');
    expectPageHeaders(inbox);
    expect(inbox.headers.get('content-security-policy')).toContain("form-action 'self'");
    const inboxHtml = await inbox.text();
    expectSharedTemplate(inboxHtml);
    expect(inboxHtml).toContain('<script src="/assets/agentgate-dev.js" defer></script>');

    const connections = await browser.request(server.url('/connections'));
    expectPageHeaders(connections);
    expectSharedTemplate(await connections.text());
  });

  it('sends the same strict headers with the error pages: the provider error page and the body-too-large page', async () => {
    const providerError = await fetch(server.url('/authorize?client_id=nope&response_type=code'));
    expect(providerError.status).toBe(400);
    expectPageHeaders(providerError);
    expectSharedTemplate(await providerError.text());

    const tooLarge = await fetch(server.url('/inbox'), {
      method: 'POST',
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: `a=${'x'.repeat(80 * 1024)}`,
    });
    expect(tooLarge.status).toBe(413);
    expectPageHeaders(tooLarge);
    expectSharedTemplate(await tooLarge.text());
  });

  it('shows no notice for a done value it does not know', async () => {
    const browser = new PageSession();
    const { response } = await browser.signIn(
      server.url('/signin?return_to=%2Finbox%3Fdone%3D%3Cb%3Ehacked%3C%2Fb%3E'),
      'bob@acme',
      'bob-password',
    );
    const html = await response.text();
    expect(html).not.toContain('hacked');
    expect(html).not.toContain('role="status">Request');
  });

  it('signs out only with the form token of the session, and a reload of the result changes nothing', async () => {
    const browser = new PageSession();
    const { response } = await browser.signIn(server.url('/inbox'), 'alice@acme', 'alice-password');
    const token = /name="token" value="([^"]+)"/.exec(await response.text())?.[1] ?? '';
    expect(token).not.toBe('');

    const forged = await browser.request(server.url('/signout'), { form: { token: 'forged' } });
    expect(forged.status).toBe(403);
    expect((await browser.request(server.url('/inbox'))).status).toBe(200);

    const signedOut = await browser.request(server.url('/signout'), { form: { token } });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toBe('/?signed_out=1');
    expect((await browser.request(server.url('/inbox'))).status).toBe(302);
    // Posting again (a resubmitted form) finds no session and just lands on the home page.
    const again = await browser.request(server.url('/signout'), { form: { token } });
    expect(again.status).toBe(303);
  });

  it('names a client by its registered name on the login page, never by its id', async () => {
    const config = await clientConfig(server);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:3000/callback',
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const { response } = await new PageSession().follow(url);
    const html = await response.text();
    expect(html).toContain('<strong id="client-name">AgentGate Demo Agent</strong>');
    expect(html).not.toContain('agentgate-agent');
  });

  it('a connect link names its agent only as the link says, never as verified', async () => {
    const browser = new PageSession();
    await browser.signIn(server.url('/connections'), 'alice@acme', 'alice-password');
    const html = await (
      await browser.request(server.url('/connections/acme-calendar/connect?client_id=agentgate-agent'))
    ).text();
    expect(html).toContain('<strong id="agent-name">AgentGate Demo Agent</strong> asks');
    expect(html).toContain('(as the link says; who sent it is not verified)');
  });

  it('a disconnect form without the session token changes nothing and says why', async () => {
    await server.connections.connect('carol@globex', 'acme-calendar', { scopes: ['events.read'] });
    const browser = new PageSession();
    await browser.signIn(server.url('/connections'), 'carol@globex', 'carol-password');
    const refused = await browser.request(server.url('/connections/acme-calendar/disconnect'), {
      form: { csrf: 'forged' },
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('The form expired or did not come from this page.');
    expect(server.connections.list('carol')).toHaveLength(1);
  });
});

describe('approval card trust labels', () => {
  it("never labels an agent's own words or an unchecked amount as verified by the server", async () => {
    const config = await clientConfig(server);
    // agent_action binds its tool and argument digest; its summary is prose the agent chose, and the server
    // checks amount and currency only on refund and payment details.
    const detail = {
      type: 'agent_action',
      tool: 'wire_all_funds',
      argsDigest: 'sha256:0f3a',
      summary: 'Refund 1.00 EUR on order 7',
      amount: '1.00',
      currency: 'EUR',
    };
    await client.initiateBackchannelAuthentication(config, {
      scope: 'openid',
      login_hint: JSON.stringify({ format: 'iss_sub', iss: server.issuer, sub: 'carol' }),
      binding_message: 'Small refund',
      authorization_details: JSON.stringify([detail]),
    });
    const item = server.approvals
      .list({ sub: 'carol' })
      .find((entry) => entry.bindingMessage === 'Small refund');
    const browser = new PageSession();
    await browser.signIn(server.url('/inbox'), 'carol@globex', 'carol-password');
    const html = await (await browser.request(server.url(`/inbox/${item?.id}`))).text();
    const verified = /<section class="verified"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(verified).toContain('Run tool wire_all_funds');
    expect(verified).not.toContain('Refund');
    expect(verified).not.toContain('class="amount"');
    const described =
      /<section class="agent-words" aria-label="The agent's description">[\s\S]*?<\/section>/.exec(html)?.[0];
    expect(described).toContain('its own words, not verified');
    expect(described).toContain('Refund 1.00 EUR on order 7 (tool wire_all_funds)');
  });

  it('the consent page shows an agent_action summary as the agent words, apart from the verified part', async () => {
    const config = await clientConfig(server);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:3000/callback',
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify([
        {
          type: 'agent_action',
          tool: 'wire_all_funds',
          argsDigest: 'sha256:0f3a',
          summary: 'Read one email',
        },
      ]),
    });
    const { response } = await new PageSession().signIn(url, 'carol@globex', 'carol-password');
    const html = await response.text();
    const verified = /<section class="verified"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(verified).toContain('Run tool wire_all_funds');
    expect(verified).not.toContain('Read one email');
    expect(html).toMatch(/its own words, not verified<\/p>\s*<p>Read one email \(tool wire_all_funds\)/);
  });

  it('shows no notice for a done value that names a member of Object.prototype', async () => {
    const browser = new PageSession();
    const { response } = await browser.signIn(
      server.url('/signin?return_to=%2Finbox%3Fdone%3Dconstructor'),
      'bob@acme',
      'bob-password',
    );
    const html = await response.text();
    expect(html).not.toContain('native code');
    expect(html).not.toContain('notice-success');
  });
});

describe('renderDevPage', () => {
  it('inlines the stylesheet when no href is given, matching the exported CSP hash', () => {
    const html = renderDevPage({ title: 'Chat <1>', siteName: 'AgentGate chat', body: '<p>Hi</p>' });
    expect(html).toContain(`<style>${devPageStyles}</style>`);
    expect(html).toContain('<title>Chat &lt;1&gt; · AgentGate chat</title>');
    expect(html).toContain('<h1>Chat &lt;1&gt;</h1>');
    expect(devPageStylesHash).toMatch(/^'sha256-[\w+/]+=*'$/);
  });

  it('links a stylesheet, loads scripts, and leaves the banner out on request', () => {
    const html = renderDevPage({
      title: 'Chat',
      body: '',
      banner: false,
      stylesheetHref: '/styles.css',
      scripts: ['/app.js'],
      heading: false,
    });
    expect(html).toContain('<link rel="stylesheet" href="/styles.css">');
    expect(html).toContain('<script src="/app.js" defer></script>');
    expect(html).not.toContain('not for production');
    expect(html).not.toContain('<h1>');
  });
});

describe('relativeTime', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  it.each([
    [30, 'in 30 s'],
    [299, 'in 4 min'],
    [7200, 'in 2 h'],
    [-90, '2 min ago'],
    [-3 * 86_400, '3 d ago'],
    [299.6, 'in 4 min'],
    [-0.3, '1 s ago'],
  ])('%s seconds from now reads %j', (offset, expected) => {
    expect(relativeTime(now / 1000 + offset, now)).toBe(expected);
  });

  it('says a request that just expired expired, never "expired in 0 s"', () => {
    expect(expiryPhrase(now / 1000 - 0.3, now)).toBe('expired 1 s ago');
    expect(expiryPhrase(now / 1000 + 0.3, now)).toBe('expires in 0 s');
  });
});

describe('seed scopeDescriptions', () => {
  const withDescriptions = (scopeDescriptions: unknown) => ({
    ...defaultSeed,
    connections: [
      { name: 'acme-calendar', displayName: 'Acme Calendar', scopes: ['events.read'], scopeDescriptions },
    ],
  });

  it('accepts a description per scope', () => {
    expect(() => validateSeed(withDescriptions({ 'events.read': 'See your events' }))).not.toThrow();
  });

  it.each([[{ 'events.read': 5 }], [['See your events']], [null], [{ 'events.read': '' }]])(
    'refuses %j',
    (scopeDescriptions) => {
      expect(() => validateSeed(withDescriptions(scopeDescriptions))).toThrow(
        'seed.connections[0].scopeDescriptions is missing or invalid',
      );
    },
  );
});
