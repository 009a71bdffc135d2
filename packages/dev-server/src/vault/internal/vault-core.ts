import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { DevConnectionDefinition } from '../types';
import { type ConnectionRecord, ConnectionStore } from './connection-store';
import { ExchangeCounter } from './exchange-counter';
import { ExternalClient, isGrantRejected } from './external-client';
import { MockExternalProvider } from './mock-external-provider';

interface PendingConnect {
  readonly sub: string;
  readonly sessionId: string;
  readonly connection: string;
  readonly scopes: readonly string[];
  readonly codeVerifier: string;
  readonly returnTo?: string;
  readonly expiresAt: number;
}

/** A usable external access token handed out by an exchange. */
export interface IssuedConnectionToken {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly scopes: readonly string[];
}

/** Thrown inside the vault when a user has no (longer a) usable connected account. */
export class NotConnected extends Error {
  constructor(readonly connection: string) {
    super(`no connected account for connection '${connection}'`);
    this.name = 'NotConnected';
  }
}

const PENDING_TTL_MS = 10 * 60_000;
/** A cached external token is reused while half its lifetime, capped at 30 s (at least 1 s), remains. */
const MIN_REMAINING_SECONDS = 30;

export interface VaultCoreOptions {
  readonly connections: readonly DevConnectionDefinition[];
  readonly externalTokenTtlSeconds: number;
  readonly getIssuer?: () => string;
  readonly trustedClientIds: readonly string[];
  readonly fetch?: typeof fetch;
  /** The host's sign-in for browsers without a session, coming back to `returnTo`. */
  readonly signInUrl?: (returnTo: string) => string;
}

/** The shared state of the dev token vault: store, mock provider, connect flow and token refresh. */
export class VaultCore {
  readonly connections: ReadonlyMap<string, DevConnectionDefinition>;
  readonly store = new ConnectionStore();
  readonly external: MockExternalProvider;
  readonly exchanges = new ExchangeCounter();
  readonly trustedClientIds: readonly string[];
  readonly #options: VaultCoreOptions;
  readonly #client = { clientId: 'agentgate-dev-vault', clientSecret: randomBytes(32).toString('base64url') };
  readonly #pending = new Map<string, PendingConnect>();
  readonly #externalClients = new Map<string, ExternalClient>();
  /** In-flight refreshes per stored record (a new record after an upgrade never joins an old refresh). */
  readonly #refreshing = new WeakMap<ConnectionRecord, Promise<IssuedConnectionToken>>();
  #provider: Provider | undefined;

  constructor(options: VaultCoreOptions) {
    this.#options = options;
    this.trustedClientIds = options.trustedClientIds;
    this.connections = new Map(options.connections.map((definition) => [definition.name, definition]));
    this.external = new MockExternalProvider({
      connections: this.connections,
      accessTokenTtlSeconds: options.externalTokenTtlSeconds,
      client: this.#client,
      redirectUri: (connection) => `${this.baseUrl()}/connections/${connection}/callback`,
      currentUser: async (ctx) => (await this.currentUser(ctx))?.sub,
      onUserRevoked: (connection, user) => this.#forgetAccessToken(user, connection),
      ...(options.signInUrl ? { signInUrl: options.signInUrl } : {}),
    });
  }

  get provider(): Provider {
    if (!this.#provider) {
      throw new Error('the dev token vault is not attached to a provider yet');
    }
    return this.#provider;
  }

  attachProvider(provider: Provider): void {
    if (this.#provider) {
      throw new TypeError('the dev token vault is already attached to a provider');
    }
    this.#provider = provider;
  }

  /**
   * The provider signalled that it revoked the user's tokens: drop the cached access token, keep the
   * refresh token. The next exchange then refreshes, the provider rejects it, and the connection goes.
   */
  #forgetAccessToken(sub: string, connection: string): void {
    const record = this.store.get(sub, connection);
    if (record?.accessToken) {
      const { refreshToken } = this.store.open(record);
      this.store.put(sub, connection, record.scopes, { refreshToken }, record.connectedAt);
    }
  }

  /** The public base URL (the issuer, without a trailing slash). */
  baseUrl(): string {
    const issuer = this.#options.getIssuer?.() ?? this.provider.issuer;
    return issuer.replace(/\/+$/, '');
  }

  apiUrl(connection: string): string {
    return `${this.baseUrl()}/ext/${connection}/api`;
  }

  #externalClient(connection: string): ExternalClient {
    let client = this.#externalClients.get(connection);
    if (!client) {
      client = new ExternalClient({
        baseUrl: this.baseUrl(),
        connection,
        ...this.#client,
        ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      });
      this.#externalClients.set(connection, client);
    }
    return client;
  }

  /** The dev-server user signed in on this request (oidc-provider session), if any. */
  async currentUser(ctx: Context): Promise<{ sub: string; sessionId: string } | undefined> {
    const session = await this.provider.Session.get(ctx);
    return session.accountId ? { sub: session.accountId, sessionId: session.jti } : undefined;
  }

  /** Starts the connect flow: remembers state + PKCE verifier for this session, returns the authorize URL. */
  beginConnect(
    user: { sub: string; sessionId: string },
    connection: string,
    requested: readonly string[],
    returnTo: string | undefined,
  ): URL {
    const now = Date.now();
    for (const [key, pending] of this.#pending) {
      if (pending.expiresAt < now) {
        this.#pending.delete(key);
      }
    }
    const existing = this.store.get(user.sub, connection)?.scopes ?? [];
    const scopes = [...new Set([...existing, ...requested])].sort();
    const state = randomBytes(24).toString('base64url');
    const codeVerifier = randomBytes(32).toString('base64url');
    this.#pending.set(state, {
      sub: user.sub,
      sessionId: user.sessionId,
      connection,
      scopes,
      codeVerifier,
      expiresAt: now + PENDING_TTL_MS,
      ...(returnTo ? { returnTo } : {}),
    });
    const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
    return this.#externalClient(connection).authorizationUrl({ scopes, state, codeChallenge });
  }

  /**
   * Finishes the connect flow: checks that `state` belongs to this user's session, redeems the code
   * at the external provider and stores the refresh token sealed. Returns the stored record.
   */
  async finishConnect(
    user: { sub: string; sessionId: string },
    connection: string,
    callbackUrl: URL,
  ): Promise<{ record: ConnectionRecord; returnTo?: string }> {
    const state = callbackUrl.searchParams.get('state') ?? '';
    const pending = this.#pending.get(state);
    this.#pending.delete(state);
    if (
      !pending ||
      pending.expiresAt < Date.now() ||
      pending.connection !== connection ||
      pending.sub !== user.sub ||
      pending.sessionId !== user.sessionId
    ) {
      throw new ConnectFailed('the connect request is unknown, expired or belongs to another session');
    }
    if (callbackUrl.searchParams.has('error')) {
      throw new ConnectFailed(
        `the provider refused the connection: ${callbackUrl.searchParams.get('error')}`,
      );
    }
    const client = this.#externalClient(connection);
    const response = await client.redeemCode(callbackUrl, { codeVerifier: pending.codeVerifier, state });
    if (!response.refresh_token) {
      throw new ConnectFailed('the provider returned no refresh token');
    }
    const scopes = response.scope ? response.scope.split(' ').filter(Boolean) : pending.scopes;
    const previous = this.store.get(user.sub, connection);
    const lifetimeSeconds = response.expires_in ?? this.#options.externalTokenTtlSeconds;
    const record = this.store.put(user.sub, connection, scopes, {
      refreshToken: response.refresh_token,
      accessToken: {
        value: response.access_token,
        expiresAt: Date.now() + lifetimeSeconds * 1000,
        lifetimeSeconds,
      },
    });
    if (previous) {
      // The upgraded grant replaces the old one: revoke the superseded refresh token.
      const old = this.store.open(previous).refreshToken;
      await client.revoke(old).catch(() => undefined);
    }
    return { record, ...(pending.returnTo ? { returnTo: pending.returnTo } : {}) };
  }

  /** Revokes the stored refresh token at the external provider and deletes the record. */
  async disconnect(sub: string, connection: string, signal?: AbortSignal): Promise<boolean> {
    const record = this.store.get(sub, connection);
    if (!record) {
      return false;
    }
    this.store.delete(sub, connection);
    await this.#externalClient(connection).revoke(this.store.open(record).refreshToken, signal);
    return true;
  }

  /**
   * A usable external access token for a record: the cached one while enough of its lifetime
   * remains, else a fresh one from the stored refresh token (one refresh at a time per record).
   * Drops the record and throws `NotConnected` when the provider rejects the refresh token.
   */
  async accessTokenFor(record: ConnectionRecord): Promise<IssuedConnectionToken> {
    const tokens = this.store.open(record);
    const cached = tokens.accessToken;
    if (cached) {
      const remaining = (cached.expiresAt - Date.now()) / 1000;
      if (remaining >= Math.max(1, Math.min(MIN_REMAINING_SECONDS, cached.lifetimeSeconds / 2))) {
        return { accessToken: cached.value, expiresIn: Math.floor(remaining), scopes: record.scopes };
      }
    }
    let refreshing = this.#refreshing.get(record);
    if (!refreshing) {
      refreshing = this.#refresh(record, tokens.refreshToken).finally(() => this.#refreshing.delete(record));
      this.#refreshing.set(record, refreshing);
    }
    return refreshing;
  }

  async #refresh(record: ConnectionRecord, refreshToken: string): Promise<IssuedConnectionToken> {
    let response: Awaited<ReturnType<ExternalClient['refresh']>>;
    try {
      response = await this.#externalClient(record.connection).refresh(refreshToken);
    } catch (error) {
      if (isGrantRejected(error)) {
        if (this.store.get(record.sub, record.connection) === record) {
          this.store.delete(record.sub, record.connection);
        }
        throw new NotConnected(record.connection);
      }
      throw error;
    }
    const lifetimeSeconds = response.expires_in ?? this.#options.externalTokenTtlSeconds;
    const scopes = response.scope ? response.scope.split(' ').filter(Boolean) : record.scopes;
    if (this.store.get(record.sub, record.connection) === record) {
      this.store.put(
        record.sub,
        record.connection,
        record.scopes,
        {
          refreshToken: response.refresh_token ?? refreshToken,
          accessToken: {
            value: response.access_token,
            expiresAt: Date.now() + lifetimeSeconds * 1000,
            lifetimeSeconds,
          },
        },
        record.connectedAt,
      );
    }
    return { accessToken: response.access_token, expiresIn: lifetimeSeconds, scopes };
  }

  close(): void {
    this.#pending.clear();
    this.store.clear();
    this.external.clear();
  }
}

/** The connect flow could not complete (shown to the user on the callback page). */
export class ConnectFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectFailed';
  }
}
