import {
  type AgentGateError,
  type AgentSession,
  assertKnownOptions,
  GateDenied,
  type Guard,
  getCredential,
} from '@agentgate/core';
import * as client from 'openid-client';
import { TokenExchangeFailed } from './errors';
import { createExchangeClient } from './internal/exchange-client';
import { assertSession } from './internal/requests';
import { readScopeList } from './internal/scopes';
import { TokenCache, tokenKey } from './internal/token-cache';

/** Options of {@link createOnBehalfOf}. */
export interface OnBehalfOfOptions {
  /** Issuer identifier of the authorization server (discovery starts here). */
  issuer: string | URL;
  /** The agent's client id: it becomes the token's actor (`act.sub`). */
  clientId: string;
  /** The agent's client secret (`client_secret_post`). */
  clientSecret: string;
  /** The company API's audience (resource indicator) the delegated tokens are for. */
  audience: string;
  /** Seconds before expiry at which a cached token counts as expired. @default 30 */
  skewSeconds?: number;
  /** Extra attempts after a 5xx, a timeout or a network error. @default 2 */
  retries?: number;
  /** Timeout of each HTTP request, in milliseconds. @default 10000 */
  timeoutMs?: number;
  /** Allow `http:` URLs (local development only). @default false */
  allowInsecureRequests?: boolean;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Clock in epoch milliseconds, for tests. @default Date.now */
  now?: () => number;
}

/** A delegated token for the API: the user as `sub`, the agent as `act.sub`. `expiresAt` is in epoch seconds. */
export interface DelegatedToken {
  readonly accessToken: string;
  readonly expiresAt: number | undefined;
  readonly scopes: readonly string[];
  readonly audience: string;
}

/** Exchanges users' tokens for tokens to the company's own API, with the agent as actor (RFC 8693). */
export interface OnBehalfOf {
  /**
   * A delegated token for the session's user, cached per user and scope set, one exchange for concurrent callers.
   * @throws GateDenied `INSUFFICIENT_SCOPE` (the user's token does not hold the scopes: an exchange never widens),
   * `FORBIDDEN` (the subject token is refused), `GUARD_FAILED` (server unavailable after retries, misconfiguration)
   */
  getToken(
    session: AgentSession,
    request: { scopes: readonly string[]; signal?: AbortSignal },
  ): Promise<DelegatedToken>;
  /** Drops the cached token (e.g. after the API answered 401). */
  invalidate(session: AgentSession, request: { scopes: readonly string[] }): Promise<void>;
  /** A guard of kind `vault` that attaches the delegated token; read it with `getDelegatedToken(audience)`. */
  guard<Args = unknown>(request: { scopes: readonly string[] }): Guard<Args>;
}

/** The credential key under which the on-behalf-of guard attaches its token: `api:<audience>`. */
export function delegatedCredentialKey(audience: string): string {
  return `api:${audience}`;
}

/**
 * Reads, inside a gated tool, the delegated token the on-behalf-of guard for `audience` attached.
 * @throws GateDenied `FORBIDDEN` outside a gated call, or when no such guard ran for it
 * @example const token = getDelegatedToken('https://api.acme.example/');
 */
export function getDelegatedToken(audience: string): string {
  return getCredential<string>(delegatedCredentialKey(audience));
}

const OPTIONS = [
  'issuer',
  'clientId',
  'clientSecret',
  'audience',
  'skewSeconds',
  'retries',
  'timeoutMs',
  'allowInsecureRequests',
  'fetch',
  'now',
] as const satisfies readonly (keyof OnBehalfOfOptions)[];

function nonNegativeInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`createOnBehalfOf: options.${name} must be a non-negative integer`);
  }
  return value;
}

/**
 * Creates an on-behalf-of client: the user's access token (`session.subjectToken()`) is exchanged (RFC 8693,
 * `audience` = the API, `requested_token_type` access token) for a short-lived token whose `sub` is the user and
 * whose `act.sub` is this client. Scopes only narrow. Tokens are cached per issuer, user, tenant, audience,
 * scope set and the scopes of the user's token, with single-flight loading, like the token vault's.
 *
 * @example
 * const api = createOnBehalfOf({ issuer, clientId: 'agentgate-agent', clientSecret, audience: 'https://api.acme.example/' });
 * const listDocs = gate.protect(tool, [api.guard({ scopes: ['docs:read'] })], async () =>
 *   fetch(url, { headers: { authorization: `Bearer ${getDelegatedToken('https://api.acme.example/')}` } }));
 * @throws TypeError on malformed or unknown options
 */
export function createOnBehalfOf(options: OnBehalfOfOptions): OnBehalfOf {
  assertKnownOptions('createOnBehalfOf', options, OPTIONS);
  const issuer = options.issuer instanceof URL ? options.issuer.href : options.issuer;
  if (typeof issuer !== 'string' || !URL.canParse(issuer)) {
    throw new TypeError('createOnBehalfOf: options.issuer must be an absolute URL');
  }
  for (const name of ['clientId', 'clientSecret', 'audience'] as const) {
    if (typeof options[name] !== 'string' || options[name].length === 0) {
      throw new TypeError(`createOnBehalfOf: options.${name} must be a non-empty string`);
    }
  }
  if (!URL.canParse(options.audience))
    throw new TypeError('createOnBehalfOf: options.audience must be an absolute URI');
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new TypeError('createOnBehalfOf: options.fetch must be a function');
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('createOnBehalfOf: options.now must be a function');
  }
  const { clientId, clientSecret, audience } = options;
  const retries = nonNegativeInteger('retries', options.retries, 2);
  const timeoutMs = nonNegativeInteger('timeoutMs', options.timeoutMs, 10_000);
  const now = options.now ?? Date.now;
  const cache = new TokenCache({
    store: undefined,
    now,
    skewSeconds: nonNegativeInteger('skewSeconds', options.skewSeconds, 30),
  });
  const baseFetch = options.fetch ?? fetch;
  const label = `api:${audience}`;
  const exchangeClient = createExchangeClient({
    issuer,
    clientId,
    clientAuthentication: client.ClientSecretPost(clientSecret),
    clientSecret,
    dialect: 'rfc8693',
    retries,
    timeoutMs,
    allowInsecureRequests: options.allowInsecureRequests === true,
    fetch: (url, init) => baseFetch(url, init as RequestInit),
  });

  const exchange = async (session: AgentSession, scopes: readonly string[], signal: AbortSignal) => {
    const subjectToken = await session.subjectToken({ type: 'access_token', signal });
    const issued = await exchangeClient.exchange(
      { connection: label, audience, scopes, subjectToken, subjectTokenType: 'access_token' },
      signal,
    );
    if (issued.scopes.some((scope) => !scopes.includes(scope))) {
      throw new TokenExchangeFailed(`on-behalf-of exchange for ${audience} returned an unusable token`, {
        connection: label,
        failure: 'failed',
      });
    }
    const nowSeconds = Math.floor(now() / 1000);
    return {
      accessToken: issued.accessToken,
      expiresAt: issued.expiresIn === undefined ? undefined : nowSeconds + issued.expiresIn,
      scopes: issued.scopes,
      connection: label,
    };
  };

  const keyOf = (session: AgentSession, scopes: readonly string[]) =>
    tokenKey(
      {
        issuer,
        clientId,
        userIssuer: session.user.iss,
        sub: session.user.sub,
        tenant: session.tenant,
        // What the exchange grants is bounded by the subject token's scopes: a token of the same user holding
        // fewer scopes must not be served one exchanged from a broader token.
        connection: JSON.stringify([label, ...[...new Set(session.scopes)].sort()]),
        loginHint: undefined,
      },
      scopes,
    );

  const toDecision = (error: unknown, scopes: readonly string[]): unknown => {
    if (!TokenExchangeFailed.isInstance(error)) return error;
    const details = error.toDetails();
    if (error.error === 'invalid_scope') {
      return new GateDenied(
        'INSUFFICIENT_SCOPE',
        `the user's token cannot be narrowed to these scopes for ${audience}`,
        {
          cause: error,
          // Which of them the user's token lacks is the server's to say (in the cause); all were asked for.
          details: { ...details, missing: [...scopes], required: [...scopes] },
        },
      );
    }
    if (error.failure === 'invalid_subject')
      return new GateDenied('FORBIDDEN', error.message, { cause: error, details });
    return new GateDenied('GUARD_FAILED', error.message, { cause: error, details });
  };

  const getToken: OnBehalfOf['getToken'] = async (session, request) => {
    assertSession(session);
    const scopes = readScopeList('onBehalfOf.getToken: request.scopes', request?.scopes);
    try {
      const token = await cache.getOrLoad(
        keyOf(session, scopes),
        (signal) => exchange(session, scopes, signal),
        request.signal,
      );
      return Object.freeze({
        accessToken: token.accessToken,
        expiresAt: token.expiresAt,
        scopes: Object.freeze([...token.scopes]),
        audience,
      });
    } catch (error) {
      throw toDecision(error, scopes);
    }
  };

  const invalidate: OnBehalfOf['invalidate'] = async (session, request) => {
    assertSession(session);
    await cache.delete(
      keyOf(session, readScopeList('onBehalfOf.invalidate: request.scopes', request?.scopes)),
    );
  };

  return Object.freeze({
    getToken,
    invalidate,
    guard<Args = unknown>(request: { scopes: readonly string[] }): Guard<Args> {
      const scopes = readScopeList('onBehalfOf.guard: request.scopes', request?.scopes);
      return Object.freeze({
        name: `onBehalfOf(${audience})`,
        kind: 'vault',
        async check(context) {
          const token = await getToken(context.session, {
            scopes,
            ...(context.signal === undefined ? {} : { signal: context.signal }),
          });
          context.setCredential(delegatedCredentialKey(audience), token.accessToken);
          context.annotate({ connection: label });
        },
        async recover(context, error: AgentGateError) {
          if (error.code !== 'CONNECTION_TOKEN_REJECTED') return false;
          if ((error as { connection?: unknown }).connection !== label) return false;
          await invalidate(context.session, { scopes });
          return true;
        },
      } satisfies Guard<Args>);
    },
  });
}
