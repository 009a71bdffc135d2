import {
  type AgentGateError,
  AgentGateError as AgentGateErrorClass,
  type AgentSession,
  describeThrown,
  GateDenied,
  type GateInterrupt,
  type Guard,
  type SessionView,
  type Store,
  safeCause,
  toSessionView,
} from '@agentgate/core';
import { connectionCredentialKey } from './connection-token';
import { TokenExchangeFailed } from './errors';
import { createExchangeClient } from './internal/exchange-client';
import { toGateError } from './internal/gate-errors';
import { resolveOptions } from './internal/options';
import { assertSession, validateRequest } from './internal/requests';
import { SealedStore } from './internal/sealed-store';
import { type CachedToken, type CacheIdentity, grantKey, TokenCache, tokenKey } from './internal/token-cache';

/** How long the vault remembers the scopes a user granted for a connection. */
const GRANT_TTL_SECONDS = 30 * 24 * 3600;

/** `'rfc8693'`: standard OAuth 2.0 Token Exchange; `'auth0'`: Auth0 Token Vault's federated-connection exchange. */
export type TokenVaultDialect = 'rfc8693' | 'auth0';

/** A `fetch` for the vault's HTTP requests (discovery and token endpoint). */
export type TokenVaultFetch = (url: string, init: RequestInit) => Promise<Response>;

/** Input of {@link TokenVaultOptions.connectUrl}. */
export interface ConnectUrlInput {
  connection: string;
  /** Every scope the account must be connected with: the requested ones plus those granted before. */
  scopes: readonly string[];
  /** The user (never their token). */
  session: SessionView;
}

export interface TokenVaultOptions {
  /** Issuer identifier of the authorization server that runs the token vault (discovery starts here). */
  issuer: string | URL;
  clientId: string;
  /** Client secret (sent as `client_secret_post`). Exactly one of `clientSecret` and `privateKeyJwt`. */
  clientSecret?: string;
  /** Private key for `private_key_jwt` client authentication. */
  privateKeyJwt?: CryptoKey | { key: CryptoKey; kid?: string };
  dialect: TokenVaultDialect;
  /** Where tokens are cached across processes (e.g. `@agentgate/redis`); values are AES-256-GCM encrypted. @default in-process memory */
  store?: Store;
  /** 32-byte key (bytes or base64url) that encrypts cached tokens in `store`. Required with `store`. */
  encryptionKey?: Uint8Array | string;
  /** Which of the user's tokens is the subject token. @default 'access_token' */
  subjectTokenType?: 'access_token' | 'refresh_token';
  /**
   * Builds the link where the user connects the account (or grants more scopes); the vault puts it in the
   * `CONNECTION_REQUIRED` interrupt's `details.connectUrl`. The vault cannot know this link: it is your app's connect
   * page, or the provider's (with the embedded dev server: `${issuer}connections/<connection>/connect?scopes=<a b>`).
   * Without it the interrupt carries no link and its message says so. A function that throws, or returns anything but
   * a non-empty string or URL, denies the call (`GUARD_FAILED`).
   */
  connectUrl?: (input: ConnectUrlInput) => string | URL;
  /**
   * Auth0 dialect: the `login_hint` to send, e.g. the user's id at the external provider when they have several
   * accounts. A server that checks it against the subject token refuses a session whose token is another user's.
   * The hint is part of the cache key: a token issued for one hint is never served for another. A function that
   * throws, or returns something other than a string or `undefined`, denies the call (`GUARD_FAILED`).
   */
  loginHint?: (input: { connection: string; session: SessionView }) => string | undefined;
  /** Seconds before expiry at which a cached token counts as expired. @default 30 */
  skewSeconds?: number;
  /** Extra attempts after a 5xx, a timeout or a network error. @default 2 */
  retries?: number;
  /** Timeout of each HTTP request, in milliseconds. @default 10000 */
  timeoutMs?: number;
  /** Allow `http:` URLs (local development only). @default false */
  allowInsecureRequests?: boolean;
  fetch?: TokenVaultFetch;
  /** Clock in epoch milliseconds, for tests. @default Date.now */
  now?: () => number;
}

/** What the caller asks for: a connection and the scopes the call needs. */
export interface ConnectionRequest {
  connection: string;
  scopes: readonly string[];
}

/** A short-lived provider token for the session's user. */
export interface ConnectionToken {
  readonly accessToken: string;
  /** Epoch seconds; `undefined` when the server did not say (such a token is not cached). */
  readonly expiresAt: number | undefined;
  /** The scopes granted (a superset of those requested). */
  readonly scopes: readonly string[];
  readonly connection: string;
}

export interface TokenVault {
  /**
   * A provider token for the session's user: from the cache while it lives (minus the skew), else one exchange —
   * shared by all concurrent callers asking for the same user, connection and scopes.
   *
   * @throws GateInterrupt `CONNECTION_REQUIRED` (details `{ connection, requiredScopes, connectUrl? }`) when the user
   * has not connected the account, revoked it, or granted too few scopes
   * @throws GateDenied `FORBIDDEN` when the subject token is invalid or not the user's; `GUARD_FAILED` after the
   * retries on 5xx/timeouts, on abort and on any other failure. The `cause` is a {@link TokenExchangeFailed}.
   */
  getToken(
    session: AgentSession,
    request: ConnectionRequest & { signal?: AbortSignal },
  ): Promise<ConnectionToken>;
  /**
   * A guard (`kind: 'vault'`) that fetches the token and attaches it to the call (`getConnectionToken(connection)`).
   * When the tool throws `ConnectionTokenRejected` for the connection, it drops the cached token so the gate
   * retries once with a fresh one.
   *
   * @example const listEvents = gate.protect(tool, [vault.guard({ connection: 'acme-calendar', scopes: ['events.read'] })], run);
   */
  guard<Args = unknown>(request: ConnectionRequest): Guard<Args>;
  /** Drops the cached token of the session's user for this connection and scope set. */
  invalidate(session: AgentSession, request: ConnectionRequest): Promise<void>;
}

/**
 * Creates a token-vault client: exchanges the user's token for short-lived third-party tokens (RFC 8693 or Auth0
 * dialect) through `openid-client`, caches them per user, connection and scope set, and fails closed.
 *
 * @throws TypeError on an invalid option or an unknown one (a likely typo), naming it
 * @example
 * const vault = createTokenVault({ issuer, clientId, clientSecret, dialect: 'auth0',
 *   connectUrl: ({ connection, scopes }) => `https://app.example/connect/${connection}?scopes=${scopes.join('+')}` });
 */
export function createTokenVault(options: TokenVaultOptions): TokenVault {
  const resolved = resolveOptions(options);
  const exchangeClient = createExchangeClient(resolved);
  const store =
    resolved.store && resolved.encryptionKey
      ? new SealedStore(resolved.store, resolved.encryptionKey)
      : undefined;
  const cache = new TokenCache({ store, now: resolved.now, skewSeconds: resolved.skewSeconds });

  const identityOf = (session: AgentSession, connection: string): CacheIdentity => ({
    issuer: resolved.issuer,
    clientId: resolved.clientId,
    userIssuer: session.user.iss,
    sub: session.user.sub,
    tenant: session.tenant,
    connection,
    loginHint: loginHintOf(session, connection),
  });

  /** The Auth0 `login_hint` for this user and connection (part of the cache key), or `undefined`. */
  function loginHintOf(session: AgentSession, connection: string): string | undefined {
    if (resolved.dialect !== 'auth0' || resolved.loginHint === undefined) return undefined;
    let hint: unknown;
    try {
      hint = resolved.loginHint({ connection, session: toSessionView(session) });
    } catch (error) {
      throw new GateDenied('GUARD_FAILED', `loginHint for connection '${connection}' failed`, {
        cause: safeCause(error),
      });
    }
    if (hint !== undefined && typeof hint !== 'string') {
      throw new GateDenied(
        'GUARD_FAILED',
        `loginHint for connection '${connection}' must return a string or undefined`,
      );
    }
    return hint;
  }

  /** What the user granted for a connection, so a scope upgrade asks for the old scopes too. */
  async function rememberGrant(identity: CacheIdentity, scopes: readonly string[]): Promise<void> {
    await cache.put(grantKey(identity), [...scopes], resolved.now() + GRANT_TTL_SECONDS * 1000);
  }

  async function load(
    session: AgentSession,
    identity: CacheIdentity,
    scopes: readonly string[],
    signal: AbortSignal,
  ): Promise<CachedToken> {
    const { connection, loginHint } = identity;
    const subjectToken = await session.subjectToken({ type: resolved.subjectTokenType, signal });
    const issued = await exchangeClient.exchange(
      {
        connection,
        scopes,
        subjectToken,
        subjectTokenType: resolved.subjectTokenType,
        ...(loginHint === undefined ? {} : { loginHint }),
      },
      signal,
    );
    await rememberGrant(identity, issued.scopes);
    const missing = scopes.filter((scope) => !issued.scopes.includes(scope));
    if (missing.length > 0) {
      throw new TokenExchangeFailed(
        `token exchange for connection '${connection}' granted too few scopes: missing ${missing.join(' ')}`,
        { connection, failure: 'missing_scopes' },
      );
    }
    const nowSeconds = Math.floor(resolved.now() / 1000);
    return {
      accessToken: issued.accessToken,
      expiresAt: issued.expiresIn === undefined ? undefined : nowSeconds + issued.expiresIn,
      scopes: issued.scopes,
      connection,
    };
  }

  async function failureOf(
    error: unknown,
    session: AgentSession,
    identity: CacheIdentity,
    scopes: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<GateDenied | GateInterrupt> {
    const { connection } = identity;
    if (AgentGateErrorClass.isInstance(error)) return error as GateDenied | GateInterrupt;
    const failed = TokenExchangeFailed.isInstance(error)
      ? error
      : new TokenExchangeFailed(
          signal?.aborted
            ? `token exchange for connection '${connection}' was aborted`
            : `token exchange for connection '${connection}' failed: ${describeThrown(error)}`,
          { connection, failure: signal?.aborted ? 'aborted' : 'failed', cause: error },
        );
    // A connection that is gone (never made, or revoked) has no grant left to keep.
    if (failed.failure === 'not_connected') await cache.delete(grantKey(identity)).catch(() => undefined);
    const granted =
      failed.failure === 'missing_scopes'
        ? ((await cache.get<string[]>(grantKey(identity)).catch(() => undefined)) ?? [])
        : [];
    const requiredScopes = [...new Set([...scopes, ...granted])].sort();
    let connectUrl: string | undefined;
    if (resolved.connectUrl && (failed.failure === 'not_connected' || failed.failure === 'missing_scopes')) {
      let link: unknown;
      try {
        link = resolved.connectUrl({
          connection,
          scopes: requiredScopes,
          session: toSessionView(session),
        });
      } catch (error) {
        return new GateDenied('GUARD_FAILED', `connectUrl for connection '${connection}' failed`, {
          cause: safeCause(error),
        });
      }
      connectUrl =
        link instanceof URL ? link.href : typeof link === 'string' && link.length > 0 ? link : undefined;
      if (connectUrl === undefined) {
        return new GateDenied(
          'GUARD_FAILED',
          `connectUrl for connection '${connection}' must return the link as a non-empty string or URL`,
        );
      }
    }
    return toGateError(failed, { connection, requiredScopes, connectUrl });
  }

  async function getToken(
    session: AgentSession,
    request: ConnectionRequest & { signal?: AbortSignal },
  ): Promise<ConnectionToken> {
    assertSession(session);
    const { connection, scopes } = validateRequest(request, 'getToken');
    const identity = identityOf(session, connection);
    const { signal } = request;
    try {
      const token = await cache.getOrLoad(
        tokenKey(identity, scopes),
        (flightSignal) => load(session, identity, scopes, flightSignal),
        signal,
      );
      return Object.freeze({ ...token, scopes: Object.freeze([...token.scopes]) });
    } catch (error) {
      throw await failureOf(error, session, identity, scopes, signal);
    }
  }

  async function invalidate(session: AgentSession, request: ConnectionRequest): Promise<void> {
    assertSession(session);
    const { connection, scopes } = validateRequest(request, 'invalidate');
    await cache.delete(tokenKey(identityOf(session, connection), scopes));
  }

  return {
    getToken,
    invalidate,
    guard<Args = unknown>(request: ConnectionRequest): Guard<Args> {
      const { connection, scopes } = validateRequest(request, 'guard');
      return Object.freeze({
        name: `vault(${connection})`,
        kind: 'vault',
        async check(context) {
          const token = await getToken(context.session, {
            connection,
            scopes,
            ...(context.signal === undefined ? {} : { signal: context.signal }),
          });
          context.setCredential(connectionCredentialKey(connection), token.accessToken);
          context.annotate({ connection });
        },
        async recover(context, error: AgentGateError) {
          if (error.code !== 'CONNECTION_TOKEN_REJECTED') return false;
          if ((error as { connection?: unknown }).connection !== connection) return false;
          await invalidate(context.session, { connection, scopes });
          return true;
        },
      } satisfies Guard<Args>);
    },
  };
}
