import { inspect } from 'node:util';
import { createGate, createSession, type Guard, MemoryStore, memoryAudit } from '@agentgate/core';
import { type DevServer, startDevServer } from '@agentgate/dev-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  backgroundSessionKey,
  createBackgroundSession,
  createLogin,
  type Login,
  LoginFailed,
  requireActiveSession,
  requireFreshAuth,
  requireRoles,
  requireScopes,
  requireTenant,
  resumeBackgroundSession,
  stepUpOptions,
  TokenVerificationFailed,
  verifyAccessToken,
} from '../src/index';
import { TestBrowser } from './helpers/browser';

const LOA2 = 'urn:agentgate:loa:2';
let server: DevServer;
let login: Login;
let redirectUri: string;
let alice: { username: string; password: string };

beforeAll(async () => {
  server = await startDevServer({ fga: false });
  const client = server.clients[0]!;
  redirectUri = client.redirectUris[0]!;
  const user = server.users.find((candidate) => candidate.username === 'alice@acme')!;
  alice = { username: user.username, password: user.password };
  login = createLogin({
    issuer: server.issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    redirectUri,
    resource: server.apiAudience,
    scope: ['openid profile email offline_access', ...server.apiScopes].join(' '),
    allowInsecureRequests: true,
  });
});
afterAll(async () => {
  await server?.close();
});

const tool = { name: 'send_report' };

/** A login like `login`, whose requests go through `fetch` (for faults a real server cannot produce on demand). */
function loginThrough(fetchOverride: typeof globalThis.fetch): Login {
  const client = server.clients[0]!;
  return createLogin({
    issuer: server.issuer,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    redirectUri,
    resource: server.apiAudience,
    allowInsecureRequests: true,
    fetch: fetchOverride,
  });
}

/** Everything an error shows, however deep: its inspected cause chain and its JSON form. */
function everythingShown(error: unknown): string {
  return `${inspect(error, { depth: 20 })}\n${JSON.stringify(error)}`;
}

async function gated(session: Parameters<ReturnType<typeof createGate>['run']>[1], guards: Guard[]) {
  const audit = memoryAudit();
  const gate = createGate({ audit });
  const execute = vi.fn(async () => 'sent');
  const outcome = await gate.run({ tool, args: {} }, session, guards, execute).then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );
  return { ...outcome, ran: execute.mock.calls.length, audit: audit.events };
}

async function browserLogin(
  browser = new TestBrowser(),
  options: Parameters<Login['createAuthorization']>[0] = {},
) {
  const { url, checks } = await login.createAuthorization({ prompt: 'consent', ...options });
  const otp = options.acrValues?.includes(LOA2) ? server.otpCode : undefined;
  const callback = await browser.authorize(url, redirectUri, { ...alice, ...(otp ? { otp } : {}) });
  return { browser, url, checks, callback, ...(await login.handleCallback(callback, checks)) };
}

describe('verifyAccessToken against the dev server', () => {
  it("verifies a real login's access token into a session with tenant, roles and scopes", async () => {
    const tokens = await server.login('alice@acme');
    const session = await verifyAccessToken(tokens.access_token, {
      issuer: server.issuer,
      audience: server.apiAudience,
    });
    expect(session).toMatchObject({
      user: { sub: 'alice', iss: server.issuer },
      tenant: 'acme',
      roles: ['admin', 'support'],
      agent: { clientId: server.clients[0]!.clientId },
      mode: 'interactive',
    });
    expect(session.scopes).toEqual(expect.arrayContaining(['calendar:read', 'orders:read']));

    const allowed = await gated(session, [
      requireScopes('calendar:read'),
      requireTenant('acme'),
      requireRoles('support'),
    ]);
    expect(allowed).toMatchObject({ value: 'sent', ran: 1 });
    const denied = await gated(session, [requireScopes('calendar:read', 'payroll:write')]);
    expect(denied.ran).toBe(0);
    expect(denied.error).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      details: { missing: ['payroll:write'] },
    });
  });

  it("rejects the dev server's ID token used as an access token", async () => {
    const tokens = await server.login('bob@acme');
    await expect(
      verifyAccessToken(tokens.id_token!, { issuer: server.issuer, audience: server.apiAudience }),
    ).rejects.toMatchObject({ code: 'NO_SESSION', reason: 'typ' });
  });

  it('rejects a real token checked against another audience or an issuer without the trailing slash', async () => {
    const tokens = await server.login('alice@acme');
    await expect(
      verifyAccessToken(tokens.access_token, { issuer: server.issuer, audience: 'https://other.example/' }),
    ).rejects.toMatchObject({ reason: 'audience' });
    await expect(
      verifyAccessToken(tokens.access_token, {
        issuer: server.issuer.replace(/\/$/, ''),
        audience: server.apiAudience,
      }),
    ).rejects.toBeInstanceOf(TokenVerificationFailed);
  });
});

describe('createLogin against the dev server', () => {
  it('logs in with code + PKCE + state + nonce and builds the session from both tokens', async () => {
    const { url, checks, session, tokens } = await browserLogin();
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe(checks.state);
    expect(url.searchParams.get('nonce')).toBe(checks.nonce);
    expect(url.searchParams.get('resource')).toBe(server.apiAudience);
    expect(url.searchParams.has('code_verifier')).toBe(false);
    expect(session).toMatchObject({
      user: { sub: 'alice', email: 'alice@acme.example', name: 'Alice Anders' },
      tenant: 'acme',
      acr: 'urn:agentgate:loa:1',
      amr: ['pwd'],
    });
    expect(Math.abs((session.authTime ?? 0) - Date.now() / 1000)).toBeLessThan(60);
    expect(tokens).toMatchObject({ refreshToken: expect.any(String), idToken: expect.any(String) });
    expect(tokens.expiresAt).toBeGreaterThan(Date.now() / 1000);
    await expect(session.subjectToken()).resolves.toBe(tokens.accessToken);
  });

  it('refuses a callback whose state does not match, and a replayed code', async () => {
    const browser = new TestBrowser();
    const { url, checks } = await login.createAuthorization();
    const callback = await browser.authorize(url, redirectUri, alice);
    await expect(login.handleCallback(callback, { ...checks, state: 'forged' })).rejects.toMatchObject({
      code: 'NO_SESSION',
      reason: 'state',
    });
    await login.handleCallback(callback, checks);
    const replay = await login.handleCallback(callback, checks).catch((error: unknown) => error);
    expect(LoginFailed.isInstance(replay)).toBe(true);
    expect(replay).toMatchObject({ reason: 'invalid_grant' });
  });

  it('turns an error callback (the user declined) into LoginFailed access_denied', async () => {
    const { checks } = await login.createAuthorization();
    const callback = new URL(redirectUri);
    callback.search = new URLSearchParams({
      error: 'access_denied',
      error_description: 'the user declined',
      state: checks.state,
      iss: server.issuer,
    }).toString();
    await expect(login.handleCallback(callback, checks)).rejects.toMatchObject({
      code: 'NO_SESSION',
      reason: 'access_denied',
    });
  });

  it('refuses a callback redeemed with the wrong PKCE verifier', async () => {
    const browser = new TestBrowser();
    const { url, checks } = await login.createAuthorization();
    const callback = await browser.authorize(url, redirectUri, alice);
    await expect(
      login.handleCallback(callback, { ...checks, codeVerifier: 'x'.repeat(43) }),
    ).rejects.toMatchObject({ reason: 'invalid_grant' });
  });

  it('refreshes with rotation; the old refresh token no longer works', async () => {
    const { tokens } = await browserLogin();
    const refreshed = await login.refresh(tokens.refreshToken!);
    expect(refreshed.tokens.refreshToken).toBeDefined();
    expect(refreshed.tokens.refreshToken).not.toBe(tokens.refreshToken);
    expect(refreshed.session.user.sub).toBe('alice');
    await expect(login.refresh(tokens.refreshToken!)).rejects.toMatchObject({
      code: 'NO_SESSION',
      reason: 'invalid_grant',
    });
  });

  it('builds the logout URL on the end-session endpoint', async () => {
    const { tokens } = await browserLogin();
    const url = await login.logoutUrl({
      idTokenHint: tokens.idToken!,
      postLogoutRedirectUri: 'http://127.0.0.1:3000/',
    });
    expect(url.href.startsWith(server.issuer)).toBe(true);
    expect(url.searchParams.get('id_token_hint')).toBe(tokens.idToken);
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe('http://127.0.0.1:3000/');
  });

  it('fails closed when the provider cannot introspect its JWT access tokens', async () => {
    const { tokens } = await browserLogin();
    const session = await login.verifyAccessToken(tokens.accessToken);
    const { ran, error } = await gated(session, [requireActiveSession()]);
    expect(ran).toBe(0);
    expect(error).toMatchObject({ code: 'NO_SESSION' });
  });
});

describe('step-up with requireFreshAuth', () => {
  it('interrupts, and a login with the requested acr_values and max_age passes', async () => {
    const first = await browserLogin();
    const guard = requireFreshAuth({ maxAgeSeconds: 300, acr: LOA2 });
    const interrupted = await gated(first.session, [guard]);
    expect(interrupted.ran).toBe(0);
    expect(interrupted.error).toMatchObject({
      code: 'STEP_UP_REQUIRED',
      details: { reason: 'acr', authorizationParams: { max_age: '300', acr_values: LOA2 } },
    });
    expect(interrupted.audit.at(-1)).toMatchObject({ outcome: 'interrupt', code: 'STEP_UP_REQUIRED' });

    // The interrupt crosses a JSON boundary (e.g. an HTTP response to the app) and still yields the step-up.
    const stepUp = stepUpOptions(JSON.parse(JSON.stringify(interrupted.error)));
    expect(stepUp).toEqual({ maxAge: 300, acrValues: LOA2 });
    const stepped = await browserLogin(first.browser, stepUp);
    expect(first.browser.pages).toContain('login');
    expect(stepped.session).toMatchObject({ acr: LOA2, user: { sub: 'alice' } });
    expect(stepped.checks.maxAge).toBe(300);
    const passed = await gated(stepped.session, [guard]);
    expect(passed).toMatchObject({ value: 'sent', ran: 1 });
  });

  it('max_age=0 forces a new login even with a live provider session', async () => {
    const first = await browserLogin();
    await browserLogin(first.browser);
    expect(first.browser.pages).not.toContain('login');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const again = await browserLogin(first.browser, { maxAge: 0 });
    expect(first.browser.pages).toContain('login');
    expect(again.session.authTime).toBeGreaterThan(first.session.authTime ?? Number.POSITIVE_INFINITY);
  });
});

describe('background sessions', () => {
  it('refreshes just in time, stores the rotated refresh token, and never puts it on the session', async () => {
    const store = new MemoryStore();
    const { tokens, session: interactive } = await browserLogin();
    const session = await createBackgroundSession({
      login,
      store,
      tokens,
      session: interactive,
      sessionId: 'run-1',
    });
    expect(session).toMatchObject({
      id: 'run-1',
      mode: 'background',
      tenant: 'acme',
      acr: 'urn:agentgate:loa:1',
    });
    expect(JSON.stringify(session)).not.toContain(tokens.refreshToken);
    await expect(session.subjectToken({ type: 'refresh_token' })).resolves.toBe(tokens.refreshToken);

    const result = await gated(session, [requireActiveSession(), requireScopes('calendar:read')]);
    expect(result).toMatchObject({ value: 'sent', ran: 1 });
    const stored = await store.get<{ refreshToken: string; accessToken: string }>(
      backgroundSessionKey('run-1'),
    );
    expect(stored?.refreshToken).toBeDefined();
    expect(stored?.refreshToken).not.toBe(tokens.refreshToken);
    await expect(session.subjectToken({ type: 'refresh_token' })).resolves.toBe(stored?.refreshToken);
    const accessToken = await session.subjectToken();
    expect(accessToken).toBe(stored?.accessToken);
    await expect(
      verifyAccessToken(accessToken, { issuer: server.issuer, audience: server.apiAudience }),
    ).resolves.toMatchObject({ user: { sub: 'alice' } });

    // Another process picks the session up from the store.
    const resumed = await resumeBackgroundSession({ login, store, sessionId: 'run-1' });
    expect(resumed).toMatchObject({ id: 'run-1', mode: 'background', user: { sub: 'alice' } });
    expect((await gated(resumed, [requireActiveSession()])).ran).toBe(1);
  });

  it('a revoked refresh token stops the deferred call: NO_SESSION, the tool does not run', async () => {
    const store = new MemoryStore();
    const { tokens } = await browserLogin();
    const session = await createBackgroundSession({ login, store, tokens, sessionId: 'run-2' });
    await login.revoke((await session.subjectToken({ type: 'refresh_token' })) as string, {
      tokenTypeHint: 'refresh_token',
    });

    const result = await gated(session, [requireActiveSession(), requireScopes('calendar:read')]);
    expect(result.ran).toBe(0);
    expect(result.error).toMatchObject({ code: 'NO_SESSION', details: { reason: 'invalid_grant' } });
    expect(result.audit.at(-1)).toMatchObject({
      outcome: 'deny',
      guard: 'requireActiveSession',
      code: 'NO_SESSION',
    });
    expect(JSON.stringify(result.audit)).not.toContain(tokens.refreshToken);
    // The dead grant is forgotten: later calls fail fast without asking the provider again.
    expect(await store.get(backgroundSessionKey('run-2'))).toBeUndefined();
    const again = await gated(session, [requireActiveSession()]);
    expect(again).toMatchObject({
      ran: 0,
      error: { code: 'NO_SESSION', details: { reason: 'missing_refresh_token' } },
    });
  });

  it('refreshes once when two deferred calls revalidate at the same moment', async () => {
    const store = new MemoryStore();
    const { tokens } = await browserLogin();
    const session = await createBackgroundSession({ login, store, tokens });
    const [first, second] = await Promise.all([
      gated(session, [requireActiveSession()]),
      gated(session, [requireActiveSession()]),
    ]);
    expect(first.ran + second.ran).toBe(2);
  });

  it('an unreachable provider denies the call but keeps the grant for the next attempt', async () => {
    const store = new MemoryStore();
    const { tokens } = await browserLogin();
    let offline = false;
    const client = server.clients[0]!;
    const flakyLogin = createLogin({
      issuer: server.issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      redirectUri,
      resource: server.apiAudience,
      allowInsecureRequests: true,
      // Fault injection: the network drops token requests while `offline` (a real server cannot do this).
      fetch: async (input, init) => {
        if (offline && String(input).includes('/token')) throw new TypeError('fetch failed');
        return fetch(input, init);
      },
    });
    const session = await createBackgroundSession({ login: flakyLogin, store, tokens, sessionId: 'run-3' });
    offline = true;
    const failed = await gated(session, [requireActiveSession()]);
    expect(failed).toMatchObject({
      ran: 0,
      error: { code: 'NO_SESSION', details: { reason: 'unavailable' } },
    });
    expect(await store.get(backgroundSessionKey('run-3'))).toMatchObject({
      refreshToken: tokens.refreshToken,
    });
    offline = false;
    expect((await gated(session, [requireActiveSession()])).ran).toBe(1);
  });

  it('refuses to act when the refreshed grant lost a role the session was created with', async () => {
    const store = new MemoryStore();
    const { tokens } = await browserLogin();
    const session = await createBackgroundSession({ login, store, tokens });
    expect(session.roles).toContain('support');
    // An administrator removes alice's `support` role while the background session waits (the dev server reads its
    // seeded user records when it mints tokens).
    const user = server.users.find((candidate) => candidate.sub === 'alice')!;
    const roles = [...user.roles];
    user.roles.splice(user.roles.indexOf('support'), 1);
    try {
      const result = await gated(session, [requireActiveSession(), requireRoles('support')]);
      expect(result).toMatchObject({
        ran: 0,
        error: { code: 'NO_SESSION', details: { reason: 'session_changed' } },
      });
    } finally {
      user.roles.splice(0, user.roles.length, ...roles);
    }
  });

  it('keeps the grant when the caller whose revalidation started the shared refresh gives up', async () => {
    let rotatedAtProvider: () => void = () => undefined;
    const rotated = new Promise<void>((resolve) => (rotatedAtProvider = resolve));
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    // Fault injection: the provider has redeemed (and rotated) the refresh token, and its answer is still in transit
    // when the first caller's signal fires.
    const slow = loginThrough(async (input, init) => {
      if (!String(input).endsWith('/token')) return fetch(input, init);
      const { signal, ...rest } = init ?? {};
      const response = await fetch(input, rest);
      const body = await response.text();
      rotatedAtProvider();
      await released;
      signal?.throwIfAborted();
      return new Response(body, { status: response.status, headers: response.headers });
    });
    const store = new MemoryStore();
    const { tokens } = await browserLogin();
    const session = await createBackgroundSession({ login: slow, store, tokens, sessionId: 'run-abort' });
    const leaving = new AbortController();
    const first = session.revalidate!({ signal: leaving.signal });
    const second = session.revalidate!();
    await rotated;
    leaving.abort(new Error('the first caller gave up'));
    await expect(first).rejects.toThrow('the first caller gave up');
    release();
    await expect(second).resolves.toBeUndefined();

    const stored = await store.get<{ refreshToken: string }>(backgroundSessionKey('run-abort'));
    expect(stored?.refreshToken).not.toBe(tokens.refreshToken);
    // The stored grant is the live one: the next deferred call refreshes with it.
    expect((await gated(session, [requireActiveSession()])).ran).toBe(1);
  });

  it('keeps the rotated refresh token when the new access token cannot be verified (JWKS outage)', async () => {
    const metadata = await fetch(new URL('.well-known/openid-configuration', server.issuer));
    const { jwks_uri: jwksUri } = (await metadata.json()) as { jwks_uri: string };
    let jwksDown = true;
    // Fault injection: the provider's JWKS cannot be fetched while `jwksDown` (its token endpoint still answers).
    const outage = loginThrough(async (input, init) => {
      if (jwksDown && String(input) === jwksUri) throw new TypeError('fetch failed');
      return fetch(input, init);
    });
    const store = new MemoryStore();
    const { tokens } = await browserLogin();
    await createBackgroundSession({ login, store, tokens, sessionId: 'run-jwks' });

    const failed = await resumeBackgroundSession({ login: outage, store, sessionId: 'run-jwks' }).catch(
      (error: unknown) => error,
    );
    expect(TokenVerificationFailed.isInstance(failed)).toBe(true);
    expect(failed).toMatchObject({ code: 'NO_SESSION', reason: 'jwks' });
    const stored = await store.get<{ refreshToken: string }>(backgroundSessionKey('run-jwks'));
    expect(stored?.refreshToken).not.toBe(tokens.refreshToken);

    jwksDown = false;
    const resumed = await resumeBackgroundSession({ login: outage, store, sessionId: 'run-jwks' });
    expect(resumed).toMatchObject({ id: 'run-jwks', user: { sub: 'alice' } });
  });

  it('resumes only the session of the expected user and issuer', async () => {
    const store = new MemoryStore();
    const { tokens } = await browserLogin();
    await createBackgroundSession({ login, store, tokens, sessionId: 'run-owned' });
    const key = backgroundSessionKey('run-owned');
    const before = await store.get(key);
    let tokenRequests = 0;
    const counting = loginThrough(async (input, init) => {
      if (String(input).endsWith('/token')) tokenRequests += 1;
      return fetch(input, init);
    });
    for (const expected of [
      { expectedSub: 'bob' },
      { expectedIss: 'https://other.example/' },
      { expectedSub: 'alice', expectedIss: 'https://other.example/' },
    ]) {
      const error = await resumeBackgroundSession({
        login: counting,
        store,
        sessionId: 'run-owned',
        ...expected,
      }).catch((caught: unknown) => caught);
      expect(LoginFailed.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'NO_SESSION', reason: 'subject_mismatch' });
      expect((error as Error).message).not.toContain('alice');
    }
    expect(tokenRequests).toBe(0);
    expect(await store.get(key)).toEqual(before);
    await expect(
      resumeBackgroundSession({ login: counting, store, sessionId: 'run-owned', expectedSub: '' }),
    ).rejects.toBeInstanceOf(TypeError);

    const resumed = await resumeBackgroundSession({
      login: counting,
      store,
      sessionId: 'run-owned',
      expectedSub: 'alice',
      expectedIss: server.issuer,
    });
    expect(resumed).toMatchObject({ id: 'run-owned', user: { sub: 'alice', iss: server.issuer } });
    expect(tokenRequests).toBe(1);
  });

  it('refuses a login session that names the same sub at another issuer, or another user', async () => {
    const { tokens, session } = await browserLogin();
    const store = new MemoryStore();
    for (const other of [
      createSession({ sub: session.user.sub, iss: 'https://other.example/', acr: LOA2, authTime: 1 }),
      createSession({ sub: 'bob', iss: server.issuer, acr: LOA2, authTime: 1 }),
    ]) {
      await expect(
        createBackgroundSession({ login, store, tokens, session: other, sessionId: 'run-foreign' }),
      ).rejects.toBeInstanceOf(TypeError);
    }
    expect(await store.get(backgroundSessionKey('run-foreign'))).toBeUndefined();
    const own = await createBackgroundSession({ login, store, tokens, session, sessionId: 'run-foreign' });
    expect(own.acr).toBe(session.acr);
  });

  it('refuses tokens without a refresh token', async () => {
    const { tokens } = await browserLogin();
    const { refreshToken: _dropped, ...withoutRefresh } = tokens;
    await expect(
      createBackgroundSession({ login, store: new MemoryStore(), tokens: withoutRefresh }),
    ).rejects.toBeInstanceOf(TypeError);
  });
});

describe('a malformed token response', () => {
  // openid-client refuses such a response and attaches its whole body (with the issued tokens) to its error. The
  // dev server always answers well, so a fetch override corrupts one field of its real answer.
  it.each([
    ['expires_in is not a number', { expires_in: 'soon' }],
    ['refresh_token is not a string', { refresh_token: 42 }],
    ['scope is not a string', { scope: 7 }],
  ])('fails closed without the issued tokens anywhere in the error (%s)', async (_label, corruption) => {
    const issued: string[] = [];
    const corrupting = loginThrough(async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith('/token')) return response;
      const body = (await response.json()) as Record<string, unknown>;
      for (const name of ['access_token', 'refresh_token', 'id_token']) {
        if (typeof body[name] === 'string') issued.push(body[name] as string);
      }
      return Response.json(
        { ...body, ...corruption },
        { status: response.status, headers: response.headers },
      );
    });
    const { tokens } = await browserLogin();
    const session = await createBackgroundSession({
      login: corrupting,
      store: new MemoryStore(),
      tokens,
      sessionId: 'malformed',
    });
    const { ran, error } = await gated(session, [requireActiveSession()]);
    expect(ran).toBe(0);
    expect(error).toMatchObject({ code: 'NO_SESSION', guard: 'requireActiveSession' });

    const other = (await browserLogin()).tokens;
    const direct = await corrupting.refresh(other.refreshToken!).catch((caught: unknown) => caught);
    expect(LoginFailed.isInstance(direct)).toBe(true);
    expect(direct).toMatchObject({ code: 'NO_SESSION', reason: 'invalid_response' });

    expect(issued.length).toBeGreaterThanOrEqual(4);
    for (const shown of [everythingShown(direct), everythingShown(error)]) {
      expect(shown).toContain('OAUTH_INVALID_RESPONSE');
      for (const token of [...issued, tokens.refreshToken!, other.refreshToken!]) {
        expect(shown).not.toContain(token);
      }
    }
  });
});
