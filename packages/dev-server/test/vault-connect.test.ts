import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startVaultTestServer, type VaultTestServer } from './vault-helpers';

const connection = 'acme-calendar';
let server: VaultTestServer;

/** One browser request with the given cookies, redirects not followed. */
async function browse(url: string | URL, cookie: string, init: RequestInit = {}) {
  return fetch(url, {
    redirect: 'manual',
    ...init,
    headers: { accept: 'application/json', cookie, ...(init.headers as Record<string, string> | undefined) },
  });
}

/** The connection's CSRF token, as the connections page hands it to the signed-in user. */
async function csrfFor(cookie: string): Promise<string> {
  const response = await browse(`${server.issuer}/connections`, cookie);
  const { connections } = (await response.json()) as { connections: { name: string; csrf: string }[] };
  return connections.find((entry) => entry.name === connection)?.csrf ?? '';
}

/** Posts the connections page's connect form (with its CSRF token unless `csrf` is given). */
async function startConnect(
  cookie: string,
  fields: { scopes?: string; return_to?: string; csrf?: string } = {},
) {
  const csrf = fields.csrf ?? (await csrfFor(cookie));
  const { csrf: _ignored, ...rest } = fields;
  return browse(`${server.issuer}/connections/${connection}/connect`, cookie, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, ...rest }).toString(),
  });
}

beforeAll(async () => {
  server = await startVaultTestServer();
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  await server.connections.disconnect(server.users.alice.sub, connection);
  await server.connections.disconnect(server.users.bob.sub, connection);
});

describe('connect flow over HTTP', () => {
  it('requires a signed-in user', async () => {
    const response = await startConnect('', { scopes: 'events.read', csrf: 'x' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'login_required' });
  });

  it('redirects to the external authorize endpoint with state and PKCE, then stores the grant', async () => {
    const { cookie } = await server.login(server.users.alice.login);
    const start = await startConnect(cookie, { scopes: 'events.read' });
    expect(start.status).toBe(303);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.pathname).toBe(`/ext/${connection}/authorize`);
    expect(authorize.searchParams.get('scope')).toBe('events.read');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);

    const consent = await browse(authorize, cookie);
    expect(consent.status).toBe(302);
    const callback = new URL(consent.headers.get('location')!);
    expect(callback.pathname).toBe(`/connections/${connection}/callback`);
    expect(callback.searchParams.get('code')).toBeTruthy();

    const done = await browse(callback, cookie);
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ connection, sub: server.users.alice.sub, scopes: ['events.read'] });
    expect(server.connections.list(server.users.alice.sub)).toMatchObject([
      { sub: server.users.alice.sub, connection, scopes: ['events.read'] },
    ]);
  });

  it("refuses a callback whose state belongs to another user's session", async () => {
    const { cookie: aliceCookie } = await server.login(server.users.alice.login);
    const { cookie: bobCookie } = await server.login(server.users.bob.login);
    const start = await startConnect(aliceCookie);
    const consent = await browse(start.headers.get('location')!, aliceCookie);
    const stolen = await browse(consent.headers.get('location')!, bobCookie);
    expect(stolen.status).toBe(400);
    expect(await stolen.json()).toMatchObject({ error: 'connect_failed' });
    expect(server.connections.list(server.users.bob.sub)).toEqual([]);
    // The state was used up: replaying it in Alice's own session fails too.
    const replay = await browse(consent.headers.get('location')!, aliceCookie);
    expect(replay.status).toBe(400);
    expect(server.connections.list(server.users.alice.sub)).toEqual([]);
  });

  it('returns to a same-origin path after connecting and ignores an off-site return_to', async () => {
    const { cookie } = await server.login(server.users.alice.login);
    const follow = async (returnTo: string) => {
      const start = await startConnect(cookie, { scopes: 'events.read', return_to: returnTo });
      const consent = await browse(start.headers.get('location')!, cookie);
      return browse(consent.headers.get('location')!, cookie);
    };
    const local = await follow('/inbox?tab=connections');
    expect(local.status).toBe(302);
    expect(local.headers.get('location')).toBe(`${server.issuer}/inbox?tab=connections`);
    const offsite = await follow('//attacker.example/');
    expect(offsite.status).toBe(200);
    expect(offsite.headers.get('location')).toBeNull();
  });

  it('connects a user named by sub through the handle', async () => {
    const info = await server.connections.connect(server.users.bob.sub, connection, {
      scopes: ['events.read'],
    });
    expect(info).toMatchObject({ sub: server.users.bob.sub, connection, scopes: ['events.read'] });
    expect(info.connectedAt).toBeInstanceOf(Date);
  });

  it('reports a refusal by the provider and stores nothing', async () => {
    const { cookie } = await server.login(server.users.alice.login);
    const start = await startConnect(cookie, { scopes: 'events.read' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const callback = new URL(`${server.issuer}/connections/${connection}/callback`);
    callback.search = new URLSearchParams({ error: 'access_denied', state }).toString();
    const response = await browse(callback, cookie);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: 'connect_failed',
      error_description: expect.stringContaining('access_denied'),
    });
    expect(server.connections.list(server.users.alice.sub)).toEqual([]);
  });

  it('refuses scopes the connection does not have', async () => {
    const { cookie } = await server.login(server.users.alice.login);
    const response = await startConnect(cookie, { scopes: 'mail.send' });
    expect(response.status).toBe(400);
  });

  it('upgrades the grant to the union of scopes and revokes the superseded refresh token', async () => {
    const first = await server.connections.connect(server.users.alice.login, connection, {
      scopes: ['events.read'],
    });
    expect(first.scopes).toEqual(['events.read']);
    const [firstToken] = server.connections.externalRefreshTokens(server.users.alice.sub, connection);
    const second = await server.connections.connect(server.users.alice.login, connection, {
      scopes: ['events.write'],
    });
    expect(second.scopes).toEqual(['events.read', 'events.write']);
    const live = server.connections.externalRefreshTokens(server.users.alice.sub, connection);
    expect(live).toHaveLength(1);
    expect(live).not.toContain(firstToken);
  });

  it('disconnects over HTTP: revokes at the provider and forgets the grant', async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    expect(server.connections.externalRefreshTokens(server.users.alice.sub, connection)).toHaveLength(1);
    const { cookie } = await server.login(server.users.alice.login);
    const response = await browse(`${server.issuer}/connections/${connection}/disconnect`, cookie, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: await csrfFor(cookie) }).toString(),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ connection, disconnected: true });
    expect(server.connections.list(server.users.alice.sub)).toEqual([]);
    expect(server.connections.externalRefreshTokens(server.users.alice.sub, connection)).toEqual([]);
  });

  it('disconnects through the handle', async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    await expect(server.connections.disconnect(server.users.alice.sub, connection)).resolves.toBe(true);
    await expect(server.connections.disconnect(server.users.alice.sub, connection)).resolves.toBe(false);
    expect(server.connections.externalRefreshTokens(server.users.alice.sub, connection)).toEqual([]);
  });

  it('forgets the grant even when the revocation call is aborted', async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    await expect(
      server.connections.disconnect(server.users.alice.sub, connection, { signal: AbortSignal.abort() }),
    ).rejects.toThrow();
    expect(server.connections.list(server.users.alice.sub)).toEqual([]);
    // Not revoked at the provider: the abort happened before the request.
    expect(server.connections.externalRefreshTokens(server.users.alice.sub, connection)).toHaveLength(1);
    server.connections.revokeExternally(server.users.alice.sub, connection);
    expect(server.connections.externalRefreshTokens(server.users.alice.sub, connection)).toEqual([]);
  });

  it('lists the signed-in user’s connections', async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    const { cookie } = await server.login(server.users.alice.login);
    const response = await browse(`${server.issuer}/connections`, cookie);
    expect(await response.json()).toEqual({
      connections: [
        {
          name: connection,
          displayName: 'Acme Calendar',
          scopes: ['events.read', 'events.write'],
          connected: true,
          grantedScopes: ['events.read'],
          csrf: expect.stringMatching(/^[\w-]{43}$/),
        },
      ],
    });
  });

  it('renders the connections page with connect and disconnect controls for a browser', async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    const { cookie: aliceCookie } = await server.login(server.users.alice.login);
    const { cookie: bobCookie } = await server.login(server.users.bob.login);
    const alicePage = await (
      await browse(`${server.issuer}/connections`, aliceCookie, { headers: { accept: 'text/html' } })
    ).text();
    expect(alicePage).toContain('granted: events.read');
    expect(alicePage).toContain(`action="/connections/${connection}/disconnect"`);
    const bobPage = await (
      await browse(`${server.issuer}/connections`, bobCookie, { headers: { accept: 'text/html' } })
    ).text();
    expect(bobPage).toContain(`<form method="post" action="/connections/${connection}/connect">`);
    expect(bobPage).toContain('name="scopes" value="events.read events.write"');
    expect(bobPage).toContain('name="csrf"');
    expect(bobPage).not.toContain('disconnect');
  });

  it('keeps tokens out of the store in plain text', async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    const live = server.connections.externalRefreshTokens(server.users.alice.sub, connection);
    expect(live).toHaveLength(1);
    const [refreshToken] = live;
    expect(refreshToken).toMatch(/^[\w-]{40,}$/);
    const dump = JSON.stringify(server.connections.storeSnapshot());
    expect(dump).toContain(server.users.alice.sub);
    expect(dump).not.toContain(refreshToken);
    expect(dump).not.toContain(refreshToken!.slice(0, 16));
  });

  it("refuses cross-site style requests: a GET connect link, and posts without the session's CSRF token", async () => {
    await server.connections.connect(server.users.alice.login, connection, { scopes: ['events.read'] });
    const { cookie } = await server.login(server.users.alice.login);
    const { cookie: bobCookie } = await server.login(server.users.bob.login);

    // A link (or an <img>) on another site: the browser sends the session cookie with a top-level GET.
    // It only shows a page asking Alice to confirm; nothing starts, nothing is granted.
    const link = await browse(
      `${server.issuer}/connections/${connection}/connect?scopes=events.read%20events.write`,
      cookie,
      { headers: { accept: 'text/html' } },
    );
    expect(link.status).toBe(200);
    expect(link.headers.get('location')).toBeNull();
    expect(link.headers.get('x-frame-options')).toBe('DENY');
    const page = await link.text();
    expect(page).toContain(`<form method="post" action="/connections/${connection}/connect">`);
    expect(page).toContain('name="scopes" value="events.read events.write"');

    // A form posted from another site cannot know the token; Bob's token is not Alice's.
    for (const csrf of ['', 'forged', await csrfFor(bobCookie)]) {
      const widen = await startConnect(cookie, { scopes: 'events.write', csrf });
      expect(widen.status).toBe(403);
      expect(widen.headers.get('location')).toBeNull();
      const disconnect = await browse(`${server.issuer}/connections/${connection}/disconnect`, cookie, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf }).toString(),
      });
      expect(disconnect.status).toBe(403);
    }
    expect(server.connections.list(server.users.alice.sub)).toMatchObject([{ scopes: ['events.read'] }]);
  });

  it('turns a connect link into a confirmation page whose form starts the flow', async () => {
    const { cookie } = await server.login(server.users.alice.login);
    const link = await browse(
      `${server.issuer}/connections/${connection}/connect?scopes=events.read&return_to=%2Finbox`,
      cookie,
      { headers: { accept: 'text/html' } },
    );
    const page = await link.text();
    const field = (name: string) =>
      new RegExp(`name="${name}" value="([^"]*)"`)
        .exec(page)?.[1]
        ?.replace(/&#(\d+);/g, (_match, code) => String.fromCharCode(Number(code))) ?? '';
    expect(field('scopes')).toBe('events.read');
    expect(field('return_to')).toBe('/inbox');
    const start = await startConnect(cookie, {
      csrf: field('csrf'),
      scopes: field('scopes'),
      return_to: field('return_to'),
    });
    expect(start.status).toBe(303);
    const consent = await browse(start.headers.get('location')!, cookie);
    const done = await browse(consent.headers.get('location')!, cookie);
    expect(done.headers.get('location')).toBe(`${server.issuer}/inbox`);
    expect(server.connections.list(server.users.alice.sub)).toMatchObject([{ scopes: ['events.read'] }]);
  });
});
