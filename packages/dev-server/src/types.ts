import type { DevConnections } from './vault';

/** A tenant (organisation) users belong to. */
export interface DevTenant {
  id: string;
  name: string;
}

/** A seeded end-user who can log in on the dev server's pages. */
export interface DevUser {
  /** Login name typed on the login page (e.g. `alice@acme`). */
  username: string;
  /** Password typed on the login page. Dev only: stored and compared in clear. */
  password: string;
  /** Stable subject identifier (`sub` claim). */
  sub: string;
  email: string;
  name: string;
  /** Tenant id, emitted as the `tenant` claim. */
  tenant: string;
  /** Roles, emitted as the `roles` claim. */
  roles: string[];
}

/** A seeded OAuth client (an agent, a web app). */
export interface DevClient {
  clientId: string;
  /** Client secret; `client_secret_basic` and `client_secret_post` are both accepted. */
  clientSecret: string;
  name: string;
  redirectUris: string[];
  /** Defaults to every grant the dev server supports. */
  grantTypes?: string[];
}

/** A third-party connection served by the token vault (mock external provider). */
export interface DevConnection {
  name: string;
  displayName: string;
  scopes: string[];
  /**
   * What each scope lets an agent do, shown on the connect and connections pages
   * (`{ 'events.read': 'See your calendar events' }`); scopes without one show their name.
   */
  scopeDescriptions?: Record<string, string>;
}

/**
 * A first-party resource server the dev server issues tokens for (an MCP server, the company's own API):
 * access tokens requested with `resource=<resource>` are RFC 9068 JWTs with `aud` = `resource` and only
 * these scopes; on-behalf-of exchanges (RFC 8693) may name it as their audience.
 */
export interface DevResourceServer {
  /** Resource indicator (RFC 8707): an absolute http(s) URI without fragment, e.g. `http://127.0.0.1:3333/mcp`. */
  resource: string;
  /** Scopes the resource server accepts. */
  scopes: string[];
  /** Display name. */
  name?: string;
  /**
   * The client that serves this resource (an MCP server's own client id). When set, only that client may exchange
   * tokens issued for this resource on the user's behalf; otherwise any authenticated client may.
   */
  clientId?: string;
}

/** The FGA part of a seed: an OpenFGA model in DSL and the tuples to write. */
export interface DevFgaSeed {
  /** OpenFGA authorization model, DSL syntax (`model\n  schema 1.1\n…`). */
  model: string;
  tuples: { user: string; relation: string; object: string }[];
}

/** Everything the dev server starts with: tenants, users, clients, connections and FGA data. */
export interface DevSeed {
  tenants: DevTenant[];
  users: DevUser[];
  clients: DevClient[];
  connections: DevConnection[];
  fga: DevFgaSeed;
}

/** Status of a CIBA approval request as the user's device sees it. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

/** One pending (or decided) CIBA approval request. */
export interface ApprovalItem {
  /** Approval id (not the `auth_req_id`, which stays with the client). */
  id: string;
  /** Subject the request asks approval from. */
  sub: string;
  clientId: string;
  /** Display name of the requesting client (agent). */
  clientName: string;
  bindingMessage?: string;
  /** The requested RFC 9396 authorization details (parsed). */
  authorizationDetails: Record<string, unknown>[];
  scope: string;
  /** Expiry of the request, epoch seconds. */
  expiresAt: number;
  status: ApprovalStatus;
}

/** Filter for {@link DevApprovals.list}. */
export interface ApprovalFilter {
  sub?: string;
  clientId?: string;
  status?: ApprovalStatus;
}

/** What the user's trusted device would do: list, approve and deny CIBA requests. */
export interface DevApprovals {
  list(filter?: ApprovalFilter): ApprovalItem[];
  /** Approves the request; the client's next poll returns tokens carrying the authorization details. */
  approve(id: string): Promise<ApprovalItem>;
  /** Denies the request; the client's next poll fails with `access_denied`. */
  deny(id: string): Promise<ApprovalItem>;
  /**
   * Resolves with the next approval request created for `sub` (or any subject),
   * or rejects after `timeoutMs` (default 10 000).
   */
  waitFor(filter?: ApprovalFilter & { timeoutMs?: number }): Promise<ApprovalItem>;
}

/** Options of {@link DevServer.login}. */
export interface DevLoginOptions {
  /** Client to log in with; default the first seeded client. */
  clientId?: string;
  /** Default `openid profile email offline_access` plus the API's scopes. */
  scope?: string;
  /**
   * Resource indicator; default the demo API ({@link DevServer.apiAudience}) unless `scope` holds
   * OIDC scopes only (then the access token is an opaque one for `/userinfo`).
   */
  resource?: string;
  /** OIDC `max_age` (seconds). */
  maxAge?: number;
  /** OIDC `acr_values`; `urn:agentgate:loa:2` makes the helper enter the one-time code. */
  acrValues?: string;
  /** Enter the one-time code even when not asked for (gives `urn:agentgate:loa:2`). Default false. */
  secondFactor?: boolean;
  /** Password to type; default the seeded one. */
  password?: string;
  signal?: AbortSignal;
}

/** Tokens returned by {@link DevServer.login}. */
export interface DevLoginTokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
  scope?: string;
  token_type: string;
}

/** A running dev server. */
export interface DevServer {
  /**
   * Issuer identifier, with a trailing slash as Auth0 writes it (`http://127.0.0.1:PORT/`).
   * Discovery is at `${issuer}.well-known/openid-configuration`.
   */
  issuer: string;
  /** Absolute URL of a path on this server: `url('/inbox')`. */
  url(path: string): string;
  port: number;
  /** Seeded clients (with secrets). The first is the demo agent. */
  clients: DevClient[];
  /** Seeded users (with passwords). */
  users: DevUser[];
  seed: DevSeed;
  /**
   * Resource indicator (audience) of the demo API. Access tokens for it are RFC 9068 JWTs
   * (`typ: at+jwt`, ES256) with `sub`, `scope`, `client_id`, `tenant` (string) and `roles` (string[]).
   */
  apiAudience: string;
  /** Scopes the demo API accepts. */
  apiScopes: string[];
  /** The one-time code the login page accepts as second factor (dev only). */
  otpCode: string;
  /**
   * Path of the self-signed CA certificate (PEM) when started with `https: true`. It lives in a
   * folder the server created at start; `close()` removes that folder.
   */
  caFile?: string;
  /**
   * A `fetch` that reaches this server: in `https` mode it trusts the generated CA (and nothing else changes for
   * the process); otherwise the global `fetch`. Hand it to clients in the same process, e.g. openid-client's
   * `customFetch` or the token vault's `fetch` option.
   */
  fetch: typeof globalThis.fetch;
  /** The OpenFGA API (fga-local) seeded with the seed's model and tuples. */
  fga: { apiUrl: string; storeId: string; authorizationModelId: string };
  approvals: DevApprovals;
  /**
   * The token vault: connected accounts at the mock external providers (one per seeded connection),
   * served at `/connections/*` and `/ext/:connection/*`; token exchange at `/oauth/token`.
   */
  connections: DevConnections;
  /**
   * Logs a seeded user in through the real pages (authorization code + PKCE) and returns the tokens.
   * @throws Error when the login page refuses the credentials, or the account is locked out (`loginThrottle`)
   */
  login(username: string, options?: DevLoginOptions): Promise<DevLoginTokens>;
  /**
   * Adds (or replaces) a first-party resource server while running, e.g. an MCP server that learned its
   * port after the dev server started. Clients register themselves at `/oauth/register` (RFC 7591).
   * @throws TypeError when the resource or its scopes are malformed
   */
  addResourceServer(server: DevResourceServer): void;
  /**
   * Stops the vault, the FGA server and the HTTP server, and removes the generated CA folder. The HTTP
   * server is closed even when another part fails to stop (then it rejects; calling it again retries).
   */
  close(): Promise<void>;
}

/** Options of {@link startDevServer}. */
export interface StartDevServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Host to bind; default `127.0.0.1`. */
  host?: string;
  /** Serve TLS with a self-signed certificate generated at start; default false. */
  https?: boolean;
  /** Seed; default {@link defaultSeed}. */
  seed?: DevSeed;
  /** Lifetime of access tokens, seconds; default 3600. */
  accessTokenTtlSeconds?: number;
  /** `interval` returned by the backchannel endpoint, seconds; default 5. */
  cibaIntervalSeconds?: number;
  /** Audience of the demo API; default `https://api.agentgate.local/`. */
  apiAudience?: string;
  /** Scopes of the demo API; default calendar, documents and refunds scopes. */
  apiScopes?: string[];
  /** Lifetime of the mock external providers' access tokens, seconds; default 300. */
  externalTokenTtlSeconds?: number;
  /** First-party resource servers (MCP servers, own APIs) besides the demo API; see {@link DevResourceServer}. */
  resourceServers?: DevResourceServer[];
  /** Start the FGA server and seed it; default true. */
  fga?: boolean;
  /**
   * Slow-down of password guessing on the login page; `false` turns it off. After `maxFailures`
   * (default 5) wrong passwords for one account, or 4 × `maxFailures` from one client address, the
   * login page answers 429 with `Retry-After` to every attempt, without checking the password, for
   * `lockoutSeconds` (default 30); each further failure doubles the lockout, up to 15 minutes.
   * A successful login clears the account's count.
   */
  loginThrottle?: { maxFailures?: number; lockoutSeconds?: number } | false;
}
