import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { parseScopes, readForm, readJson, sendJson, sendPage } from './http';

/**
 * The third party that AgentGate's token vault connects to, e.g. "Acme Calendar": a deliberately
 * small OAuth 2.0 authorization server per connection (authorization code with PKCE S256, refresh
 * token, RFC 7009 revocation) and a protected JSON API. It plays a third-party API, so it is
 * hand-rolled; all state lives in memory.
 *
 * Routes, under `/ext/:connection`:
 * - `GET  /authorize`        auto-consents for the signed-in dev-server user, redirects with a code
 * - `POST /token`            `authorization_code` and `refresh_token` grants
 * - `POST /revoke`           revokes an access or refresh token
 * - `GET  /api/:collection`  needs scope `<collection>.read`; `POST` needs `<collection>.write`
 */
export interface MockExternalProviderOptions {
  readonly connections: ReadonlyMap<string, { readonly scopes: readonly string[] }>;
  readonly accessTokenTtlSeconds: number;
  readonly client: { readonly clientId: string; readonly clientSecret: string };
  readonly redirectUri: (connection: string) => string;
  /** The signed-in dev-server user of this request (the external provider's user), if any. */
  readonly currentUser: (ctx: Context) => Promise<string | undefined>;
  /**
   * Called after the provider revoked a user's tokens on its side, as a real provider signals it
   * (e.g. a Shared Signals / RISC "tokens revoked" event), so that relying parties drop cached tokens.
   */
  readonly onUserRevoked?: (connection: string, user: string) => void;
  /** Where a browser without a dev-server session signs in, coming back to `returnTo`. */
  readonly signInUrl?: (returnTo: string) => string;
}

interface AuthorizationCode {
  readonly user: string;
  readonly scopes: readonly string[];
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly expiresAt: number;
}

interface RefreshToken {
  readonly user: string;
  readonly scopes: readonly string[];
}

interface AccessToken {
  readonly user: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  readonly refreshToken: string;
}

interface ConnectionState {
  readonly codes: Map<string, AuthorizationCode>;
  readonly refreshTokens: Map<string, RefreshToken>;
  readonly accessTokens: Map<string, AccessToken>;
  readonly collections: Map<string, unknown[]>;
}

const CODE_TTL_MS = 60_000;
const ROUTE = /^\/ext\/([a-z0-9][a-z0-9-]*)\/(authorize|token|revoke|api\/([a-z][a-z0-9-]*))$/;

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function sameSecret(given: string, expected: string): boolean {
  const left = createHash('sha256').update(given).digest();
  const right = createHash('sha256').update(expected).digest();
  return timingSafeEqual(left, right);
}

export class MockExternalProvider {
  readonly #options: MockExternalProviderOptions;
  readonly #state = new Map<string, ConnectionState>();

  constructor(options: MockExternalProviderOptions) {
    this.#options = options;
    for (const name of options.connections.keys()) {
      this.#state.set(name, {
        codes: new Map(),
        refreshTokens: new Map(),
        accessTokens: new Map(),
        collections: new Map(),
      });
    }
  }

  /** Koa middleware: serves `/ext/:connection/*`, passes every other request on. */
  readonly middleware = async (ctx: Context, next: Next): Promise<void> => {
    const match = ROUTE.exec(ctx.path);
    const state = match ? this.#state.get(match[1]!) : undefined;
    if (!match || !state) {
      return next();
    }
    const connection = match[1]!;
    const action = match[2]!;
    if (action === 'authorize' && ctx.method === 'GET') {
      return this.#authorize(ctx, connection, state);
    }
    if (action === 'token' && ctx.method === 'POST') {
      return this.#token(ctx, state);
    }
    if (action === 'revoke' && ctx.method === 'POST') {
      return this.#revoke(ctx, state);
    }
    if (match[3] && (ctx.method === 'GET' || ctx.method === 'POST')) {
      return this.#api(ctx, connection, state, match[3]);
    }
    ctx.status = 405;
  };

  /** Revokes every token the user holds at this connection (the user removed access at the provider). */
  revokeUser(connection: string, user: string): number {
    const state = this.#state.get(connection);
    if (!state) {
      return 0;
    }
    let revoked = 0;
    for (const [value, token] of state.refreshTokens) {
      if (token.user === user) {
        this.#revokeRefreshToken(state, value);
        revoked += 1;
      }
    }
    for (const [value, token] of state.accessTokens) {
      if (token.user === user) {
        state.accessTokens.delete(value);
      }
    }
    this.#options.onUserRevoked?.(connection, user);
    return revoked;
  }

  /** The user's live refresh tokens at this connection (test inspection only). */
  refreshTokensOf(connection: string, user: string): string[] {
    const state = this.#state.get(connection);
    return state
      ? [...state.refreshTokens].filter(([, token]) => token.user === user).map(([value]) => value)
      : [];
  }

  clear(): void {
    for (const state of this.#state.values()) {
      state.codes.clear();
      state.refreshTokens.clear();
      state.accessTokens.clear();
      state.collections.clear();
    }
  }

  async #authorize(ctx: Context, connection: string, state: ConnectionState): Promise<void> {
    const query = new URLSearchParams(ctx.querystring);
    const redirectUri = query.get('redirect_uri');
    if (query.get('client_id') !== this.#options.client.clientId) {
      return sendPage(ctx, 400, 'Unknown client', 'The client_id is not registered at this provider.');
    }
    if (redirectUri !== this.#options.redirectUri(connection)) {
      return sendPage(
        ctx,
        400,
        'Invalid redirect_uri',
        'The redirect_uri is not registered for this client.',
      );
    }
    const redirect = (parameters: Record<string, string>): void => {
      const target = new URL(redirectUri);
      for (const [name, value] of Object.entries(parameters)) {
        target.searchParams.set(name, value);
      }
      const stateParameter = query.get('state');
      if (stateParameter) {
        target.searchParams.set('state', stateParameter);
      }
      ctx.status = 302;
      ctx.redirect(target.href);
    };
    const allowed = this.#options.connections.get(connection)?.scopes ?? [];
    const scopes = parseScopes(query.get('scope'));
    if (query.get('response_type') !== 'code') {
      return redirect({ error: 'unsupported_response_type' });
    }
    if (query.get('code_challenge_method') !== 'S256' || !query.get('code_challenge')) {
      return redirect({ error: 'invalid_request', error_description: 'PKCE with S256 is required' });
    }
    if (scopes.length === 0 || scopes.some((scope) => !allowed.includes(scope))) {
      return redirect({ error: 'invalid_scope', error_description: `allowed scopes: ${allowed.join(' ')}` });
    }
    const user = await this.#options.currentUser(ctx);
    if (!user) {
      // Like a real provider's authorize page: sign in first, then continue with the same request.
      if (this.#options.signInUrl) {
        ctx.redirect(this.#options.signInUrl(ctx.url));
        return;
      }
      return sendPage(ctx, 401, 'Sign in required', 'Sign in to the AgentGate dev server first.');
    }
    const now = Date.now();
    for (const [value, pending] of state.codes) {
      if (pending.expiresAt <= now) {
        state.codes.delete(value);
      }
    }
    const code = randomToken();
    state.codes.set(code, {
      user,
      scopes,
      redirectUri,
      codeChallenge: query.get('code_challenge')!,
      expiresAt: now + CODE_TTL_MS,
    });
    redirect({ code });
  }

  #authenticateClient(ctx: Context, form: URLSearchParams): boolean {
    const { clientId, clientSecret } = this.#options.client;
    const authorization = ctx.get('authorization');
    if (authorization.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const separator = decoded.indexOf(':');
      if (separator <= 0) {
        return false;
      }
      try {
        // RFC 6749 §2.3.1: id and secret are form-urlencoded; a malformed escape is a failed authentication.
        const id = decodeURIComponent(decoded.slice(0, separator));
        const secret = decodeURIComponent(decoded.slice(separator + 1));
        return id === clientId && sameSecret(secret, clientSecret);
      } catch {
        return false;
      }
    }
    return form.get('client_id') === clientId && sameSecret(form.get('client_secret') ?? '', clientSecret);
  }

  async #token(ctx: Context, state: ConnectionState): Promise<void> {
    const form = await readForm(ctx);
    if (!this.#authenticateClient(ctx, form)) {
      return sendJson(ctx, 401, {
        error: 'invalid_client',
        error_description: 'client authentication failed',
      });
    }
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = state.codes.get(form.get('code') ?? '');
      state.codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (
        !code ||
        code.expiresAt < Date.now() ||
        code.redirectUri !== form.get('redirect_uri') ||
        challenge !== code.codeChallenge
      ) {
        return sendJson(ctx, 400, {
          error: 'invalid_grant',
          error_description: 'authorization code invalid',
        });
      }
      const refreshToken = randomToken();
      state.refreshTokens.set(refreshToken, { user: code.user, scopes: code.scopes });
      return sendJson(ctx, 200, {
        ...this.#issueAccessToken(state, refreshToken, code.user, code.scopes),
        refresh_token: refreshToken,
      });
    }
    if (grantType === 'refresh_token') {
      const value = form.get('refresh_token') ?? '';
      const refreshToken = state.refreshTokens.get(value);
      if (!refreshToken) {
        return sendJson(ctx, 400, { error: 'invalid_grant', error_description: 'refresh token invalid' });
      }
      const requested = parseScopes(form.get('scope'));
      const scopes = requested.length > 0 ? requested : refreshToken.scopes;
      if (scopes.some((scope) => !refreshToken.scopes.includes(scope))) {
        return sendJson(ctx, 400, { error: 'invalid_scope', error_description: 'scope exceeds the grant' });
      }
      return sendJson(ctx, 200, this.#issueAccessToken(state, value, refreshToken.user, scopes));
    }
    return sendJson(ctx, 400, { error: 'unsupported_grant_type' });
  }

  #issueAccessToken(state: ConnectionState, refreshToken: string, user: string, scopes: readonly string[]) {
    const now = Date.now();
    for (const [value, token] of state.accessTokens) {
      if (token.expiresAt <= now) {
        state.accessTokens.delete(value);
      }
    }
    const accessToken = randomToken();
    const ttl = this.#options.accessTokenTtlSeconds;
    state.accessTokens.set(accessToken, { user, scopes, refreshToken, expiresAt: now + ttl * 1000 });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, scope: scopes.join(' ') };
  }

  #revokeRefreshToken(state: ConnectionState, value: string): void {
    state.refreshTokens.delete(value);
    for (const [accessValue, accessToken] of state.accessTokens) {
      if (accessToken.refreshToken === value) {
        state.accessTokens.delete(accessValue);
      }
    }
  }

  async #revoke(ctx: Context, state: ConnectionState): Promise<void> {
    const form = await readForm(ctx);
    if (!this.#authenticateClient(ctx, form)) {
      return sendJson(ctx, 401, {
        error: 'invalid_client',
        error_description: 'client authentication failed',
      });
    }
    const value = form.get('token') ?? '';
    this.#revokeRefreshToken(state, value);
    state.accessTokens.delete(value);
    ctx.status = 200;
    ctx.body = '';
  }

  async #api(ctx: Context, connection: string, state: ConnectionState, collection: string): Promise<void> {
    const realm = `realm="${connection}"`;
    const authorization = ctx.get('authorization');
    if (!/^bearer /i.test(authorization)) {
      ctx.set('WWW-Authenticate', `Bearer ${realm}`);
      return sendJson(ctx, 401, { error: 'invalid_token', error_description: 'access token required' });
    }
    const token = state.accessTokens.get(authorization.slice(7).trim());
    if (!token || token.expiresAt <= Date.now()) {
      ctx.set('WWW-Authenticate', `Bearer ${realm}, error="invalid_token"`);
      return sendJson(ctx, 401, {
        error: 'invalid_token',
        error_description: 'access token invalid or expired',
      });
    }
    const needed = `${collection}.${ctx.method === 'GET' ? 'read' : 'write'}`;
    if (!token.scopes.includes(needed)) {
      ctx.set('WWW-Authenticate', `Bearer ${realm}, error="insufficient_scope", scope="${needed}"`);
      return sendJson(ctx, 403, { error: 'insufficient_scope', scope: needed });
    }
    const key = JSON.stringify([token.user, collection]);
    const items = state.collections.get(key) ?? [];
    if (ctx.method === 'GET') {
      return sendJson(ctx, 200, { user: token.user, items });
    }
    const body = await readJson(ctx);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendJson(ctx, 400, { error: 'invalid_request', error_description: 'a JSON object is required' });
    }
    const item = { ...body, id: randomBytes(8).toString('hex') };
    state.collections.set(key, [...items, item]);
    return sendJson(ctx, 201, item);
  }
}
