import type Provider from 'oidc-provider';
import type { CsrfTokens } from '../internal/csrf';

/** One external provider the dev server hosts a mock of, e.g. `acme-calendar`. */
export interface DevConnectionDefinition {
  /** URL-safe name (`[a-z0-9-]`), used in routes and in token-exchange requests. */
  readonly name: string;
  readonly displayName: string;
  /** The scopes the provider knows, e.g. `['events.read', 'events.write']`. */
  readonly scopes: readonly string[];
}

/** A connected account as the handle reports it (never with a token). */
export interface DevConnectionInfo {
  readonly sub: string;
  readonly connection: string;
  /** The external scopes the user granted. */
  readonly scopes: readonly string[];
  readonly connectedAt: Date;
}

/** One token exchange handled at the token endpoint. */
export interface DevExchangeEvent {
  readonly dialect: 'standard' | 'auth0';
  readonly outcome: 'issued' | 'error';
  /** The OAuth `error` code when `outcome` is `error`. */
  readonly error?: string;
  readonly connection?: string;
  readonly sub?: string;
  readonly clientId?: string;
}

/** Narrows `exchangeCount()`; every given field must match. */
export type DevExchangeFilter = Partial<DevExchangeEvent>;

/**
 * Signs a dev user in through the dev server's own login pages and returns the browser cookies of
 * the signed-in session (a `Cookie` header value). Supplied by the server that hosts the vault.
 */
export type DevSignIn = (user: string, options: { signal?: AbortSignal }) => Promise<{ cookie: string }>;

/** Programmatic control of connected accounts, for tests and `DevServer.connections`. */
export interface DevConnections {
  /**
   * Connects `user`'s account at `connection` through the real HTTP flow: signs in through the
   * login pages, then follows connect → external authorize → callback. Connecting again with more
   * scopes upgrades the grant (union of scopes).
   * @param user a username or `sub`, as the host's `signIn` accepts it
   * @throws Error when the flow does not end connected (the message says where it stopped)
   */
  connect(
    user: string,
    connection: string,
    options?: { scopes?: readonly string[]; signal?: AbortSignal },
  ): Promise<DevConnectionInfo>;
  /**
   * Forgets the stored grant and revokes its refresh token at the external provider; false when not
   * connected. The grant is forgotten even when the revocation call fails or is aborted.
   */
  disconnect(sub: string, connection: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  list(sub: string): DevConnectionInfo[];
  /**
   * Simulates the user removing access at the external provider: its refresh and access tokens stop
   * working. The provider signals the revocation, so the vault drops its cached access token but still
   * holds the (now useless) refresh token; the next exchange finds it rejected, drops the connection and
   * answers "not connected".
   */
  revokeExternally(sub: string, connection: string): void;
  /** Base URL of the connection's protected API, e.g. `http://127.0.0.1:4000/ext/acme-calendar/api`. */
  apiUrl(connection: string): string;
  /** The `audience` value naming the connection in the standard dialect: `connection:<name>`. */
  audience(connection: string): string;
  /** How many token exchanges the token endpoint handled (all, or those matching `filter`). */
  exchangeCount(filter?: DevExchangeFilter): number;
  readonly definitions: readonly DevConnectionDefinition[];
  /** Test inspection: the vault's records exactly as kept in memory (tokens sealed). */
  storeSnapshot(): unknown[];
  /** Test inspection: the user's live refresh tokens at the mock external provider. */
  externalRefreshTokens(sub: string, connection: string): string[];
}

/** Options of `createDevTokenVault`. */
export interface CreateDevTokenVaultOptions {
  readonly connections: readonly DevConnectionDefinition[];
  /** Lifetime of external access tokens issued by the mock providers. Default 300. */
  readonly externalTokenTtlSeconds?: number;
  /** Public base URL of the dev server; defaults to the attached provider's `issuer`. */
  readonly getIssuer?: () => string;
  /**
   * Clients whose subject tokens other clients may exchange (besides a client exchanging its own).
   * Default none.
   */
  readonly trustedClientIds?: readonly string[];
  /**
   * Whether `sub` is a user account of the host (not a client). Subject tokens whose subject is not
   * are refused. Default: any subject of a live user grant.
   */
  readonly accountExists?: (sub: string) => boolean;
  /**
   * The host server's CSRF tokens, so the connections page's forms use the same mechanism (and
   * secret) as the host's other pages. Default: a fresh secret of the vault's own.
   */
  readonly csrf?: CsrfTokens;
  /**
   * Where to send a browser that opens a connections page (e.g. a connect link) or the mock
   * provider's authorize page without a session: the host's sign-in that comes back to `returnTo`
   * (a same-origin path). Without it such a request answers 401 "sign in first".
   */
  readonly signInUrl?: (returnTo: string) => string;
  /** How `DevConnections.connect()` signs a user in; without it `connect()` rejects. */
  readonly signIn?: DevSignIn;
  /**
   * `fetch` for the vault's own calls back into the server (external token endpoint, revocation,
   * JWKS). Default the global `fetch`; over HTTPS with a self-signed certificate pass one that trusts it.
   */
  readonly fetch?: typeof fetch;
}

/** The dev token vault: attach it to the dev server's provider, expose `handle`. */
export interface DevTokenVault {
  /** Registers both exchange grant types and the `/connections/*` and `/ext/*` routes. Call once. */
  attach(provider: Provider): void;
  readonly handle: DevConnections;
  close(): Promise<void>;
}
