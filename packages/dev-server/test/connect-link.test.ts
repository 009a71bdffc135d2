import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';
import { PageSession } from './helpers';

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ fga: false });
});
afterAll(async () => {
  await server.close();
});

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('connect links opened in a browser without a session', () => {
  it('go through sign-in and back to the connect page, which then connects the account', async () => {
    const browser = new PageSession();
    const link = server.url('/connections/acme-calendar/connect?scopes=events.read&return_to=/connections');
    const first = await browser.request(link);
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe(
      `/signin?${new URLSearchParams({ return_to: '/connections/acme-calendar/connect?scopes=events.read&return_to=/connections' })}`,
    );

    const { response, url } = await browser.signIn(link, 'alice@acme', 'alice-password');
    expect(url.href).toBe(link);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Allow access to Acme Calendar with: events.read');

    const posted = await browser.request(server.url('/connections/acme-calendar/connect'), {
      form: { csrf: csrfOf(html), scopes: 'events.read', return_to: '/connections' },
    });
    expect(posted.status).toBe(303);
    const { url: done } = await browser.follow(server.url('/connections'), posted);
    expect(done.pathname).toBe('/connections');
    expect(server.connections.list('alice')).toMatchObject([
      { connection: 'acme-calendar', scopes: ['events.read'] },
    ]);
  });

  it("send the mock provider's authorize page through sign-in and back to the same request", async () => {
    const authorize = `/ext/acme-calendar/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: 'agentgate-dev-vault',
      redirect_uri: server.url('/connections/acme-calendar/callback'),
      scope: 'events.read',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    })}`;
    const response = await new PageSession().request(server.url(authorize));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`/signin?${new URLSearchParams({ return_to: authorize })}`);
  });

  it('a connect form posted without a session answers 401 with a sign-in link; JSON clients get login_required', async () => {
    const browser = new PageSession();
    const posted = await browser.request(server.url('/connections/acme-calendar/connect'), {
      form: { csrf: 'x', scopes: 'events.read' },
    });
    expect(posted.status).toBe(401);
    expect(await posted.text()).toContain(
      '<a id="sign-in" href="/signin?return_to=%2Fconnections">Sign in</a>',
    );

    const json = await fetch(server.url('/connections/acme-calendar/connect'), {
      headers: { accept: 'application/json' },
      redirect: 'manual',
    });
    expect(json.status).toBe(401);
    expect(await json.json()).toEqual({ error: 'login_required', error_description: 'sign in first' });
  });
});

/**
 * Signs in through `GET /signin?return_to=…` and returns where the callback then sends the browser
 * (its `Location`), without following it.
 */
async function callbackLocation(returnTo: string): Promise<string | null> {
  const browser = new PageSession();
  const { response, url } = await browser.follow(
    server.url(`/signin?${new URLSearchParams({ return_to: returnTo })}`),
  );
  const action = /action="(\/interaction\/[\w-]+\/login)"/.exec(await response.text())?.[1] ?? '';
  let current = new URL(action, url);
  let answer = await browser.request(current, { form: { username: 'bob@acme', password: 'bob-password' } });
  for (let hops = 0; hops < 15 && current.pathname !== '/signin/callback'; hops++) {
    current = new URL(answer.headers.get('location') ?? '', current);
    if (current.origin !== new URL(server.issuer).origin) break;
    answer = await browser.request(current);
  }
  expect(current.pathname).toBe('/signin/callback');
  expect(answer.status).toBe(302);
  return answer.headers.get('location');
}

describe('GET /signin return_to', () => {
  it('returns to a same-origin path with its query', async () => {
    const browser = new PageSession();
    const { url, response } = await browser.signIn(
      server.url('/signin?return_to=%2Finbox%3Fdone%3Dapproved'),
      'bob@acme',
      'bob-password',
    );
    expect(url.href).toBe(server.url('/inbox?done=approved'));
    expect(await response.text()).toContain('Request approved.');
  });

  it.each([
    'https://attacker.example/',
    '//attacker.example/path',
    '/\\attacker.example',
    '/\t/attacker.example',
    'javascript:alert(1)',
    'inbox',
    '/signin?return_to=//attacker.example',
  ])('never leaves the server for return_to=%j: it lands on the home page', async (returnTo) => {
    const browser = new PageSession();
    const { url, response } = await browser.signIn(
      server.url(`/signin?${new URLSearchParams({ return_to: returnTo })}`),
      'bob@acme',
      'bob-password',
    );
    expect(url.href).toBe(server.issuer);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('href="/connections/acme-calendar/connect"');
  });

  it.each([
    '/.//evil.example/phish',
    '/a/..//evil.example/phish',
    '/%2e//evil.example/phish',
    '/%2E%2E//evil.example/phish',
    '/./%2e/..//evil.example/phish',
  ])('never redirects off the server for a return_to that normalises to //host: %j', async (returnTo) => {
    expect(await callbackLocation(returnTo)).toBe('/');
  });

  it.each([
    ['/a/../inbox?x=1#top', '/inbox?x=1#top'],
    ['/./connections', '/connections'],
    ['/%2e%2e/inbox', '/inbox'],
  ])('returns to the normalised path of %j', async (returnTo, expected) => {
    expect(await callbackLocation(returnTo)).toBe(expected);
  });

  it('accepts a return_to up to 2048 characters and falls back to / beyond (the pending sign-ins stay small)', async () => {
    const longest = `/inbox?pad=${'x'.repeat(2048 - '/inbox?pad='.length)}`;
    expect(await callbackLocation(longest)).toBe(longest);
    expect(await callbackLocation(`${longest}x`)).toBe('/');
    // Dot segments do not smuggle a long target past the limit either.
    expect(await callbackLocation(`/${'./'.repeat(1500)}inbox`)).toBe('/');
  });

  it('ignores a callback whose state it did not issue', async () => {
    const response = await fetch(server.url('/signin/callback?code=x&state=forged'), { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/');
  });

  it('a cancelled sign-in shows why and offers to sign in again to the same page', async () => {
    const browser = new PageSession();
    const { response, url } = await browser.follow(server.url('/signin?return_to=%2Fconnections'));
    const cancel = /action="(\/interaction\/[\w-]+\/abort)"/.exec(await response.text())?.[1] ?? '';
    const cancelled = await browser.request(new URL(cancel, url), { form: {} });
    const { response: page } = await browser.follow(new URL(cancel, url), cancelled);
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toContain('Sign-in did not complete: the end-user cancelled the request.');
    expect(html).toContain('<a id="retry" href="/signin?return_to=%2Fconnections">Sign in again</a>');
  });
});

describe('GET /signin/callback with an error', () => {
  const description = 'Call support at +1-555-0100 to restore your account';

  it('shows error_description only for a sign-in this browser started', async () => {
    const forged = await fetch(
      server.url(
        `/signin/callback?${new URLSearchParams({ error: 'access_denied', error_description: description })}`,
      ),
    );
    expect(forged.status).toBe(400);
    const html = await forged.text();
    expect(html).toContain('Sign-in did not complete: access_denied.');
    expect(html).not.toContain('Call support');
  });

  it('does not show it for a state another browser started (anyone can start a sign-in)', async () => {
    const started = await fetch(server.url('/signin?return_to=%2Fconnections'), { redirect: 'manual' });
    const state =
      new URL(started.headers.get('location') ?? '', server.issuer).searchParams.get('state') ?? '';
    expect(state).not.toBe('');
    const victim = await fetch(
      server.url(
        `/signin/callback?${new URLSearchParams({ state, error: 'access_denied', error_description: description })}`,
      ),
    );
    const html = await victim.text();
    expect(html).toContain('Sign-in did not complete: access_denied.');
    expect(html).not.toContain('Call support');
    expect(html).toContain('<a id="retry" href="/signin?return_to=%2F">Sign in again</a>');
  });

  it('shows an error that is not an OAuth error code as a generic sentence', async () => {
    const forged = await fetch(server.url(`/signin/callback?${new URLSearchParams({ error: description })}`));
    const html = await forged.text();
    expect(html).toContain('Sign-in did not complete: the provider returned an error.');
    expect(html).not.toContain('Call support');
  });
});

describe('connect page return_to', () => {
  it.each([
    ['/.//evil.example/phish', '/.//evil.example/phish'],
    ['/a/..//evil.example/phish', '/a/..//evil.example/phish'],
    ['/%2e//evil.example/phish', '/%2e//evil.example/phish'],
    ['/%2E%2E//evil.example/phish', '/%2E%2E//evil.example/phish'],
    ['a path of 2,066 characters', `/connections?pad=${'x'.repeat(2048)}`],
  ])('drops a return_to that leaves the server or is too long: %s', async (_name, returnTo) => {
    const browser = new PageSession();
    const link = server.url(
      `/connections/acme-calendar/connect?${new URLSearchParams({ scopes: 'events.read', return_to: returnTo })}`,
    );
    await browser.signIn(server.url('/connections'), 'carol@globex', 'carol-password');
    const response = await browser.request(link);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<input type="hidden" name="return_to" value="">');
    expect(html).not.toContain('evil.example');
  });
});

describe('error pages offer a way on', () => {
  it('an expired or unknown sign-in links to the home page', async () => {
    const response = await fetch(server.url('/interaction/unknown-uid'));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<a id="start-again" href="/">Start again</a>');
  });

  it('a failed connect callback links back to the connections page', async () => {
    const browser = new PageSession();
    await browser.signIn(server.url('/connections'), 'bob@acme', 'bob-password');
    const response = await browser.request(
      server.url('/connections/acme-calendar/callback?error=access_denied&state=unknown'),
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      '<a id="connections" href="/connections">Back to your connections</a>',
    );
  });
});

describe('GET /', () => {
  it('links the inbox, the connections page and each connect link', async () => {
    const response = await fetch(server.url('/'));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<a id="inbox" href="/inbox">');
    expect(html).toContain('<a id="connections" href="/connections">');
    expect(html).toContain('<a href="/connections/acme-calendar/connect">Connect Acme Calendar</a>');
  });
});
