import { describeThrown, raceAbort, SentSecrets, sleep } from '@agentgate/core';
import * as client from 'openid-client';
import { TokenExchangeFailed, type TokenExchangeFailure } from '../errors';
import { classifyOAuthError, type Dialect, type ExchangeRequest, exchangeParameters } from './dialects';
import type { ResolvedOptions } from './options';

/** What the token endpoint issued, before the vault checks scopes. */
export interface IssuedToken {
  accessToken: string;
  /** Seconds the token lives, when the server said. */
  expiresIn: number | undefined;
  /** Scopes granted; the requested ones when the response names none (RFC 6749 §5.1). */
  scopes: string[];
}

/** Sends RFC 8693 / Auth0 exchanges through `openid-client`, with bounded retries for transient failures. */
export interface ExchangeClient {
  exchange(request: ExchangeRequest, signal: AbortSignal | undefined): Promise<IssuedToken>;
}

const BACKOFF_BASE_MS = 50;

/** What the exchange client reads of the options (the vault's, or those the on-behalf-of client builds). */
export type ExchangeClientOptions = Pick<
  ResolvedOptions,
  | 'issuer'
  | 'clientId'
  | 'clientAuthentication'
  | 'clientSecret'
  | 'dialect'
  | 'retries'
  | 'timeoutMs'
  | 'allowInsecureRequests'
  | 'fetch'
>;

export function createExchangeClient(options: ExchangeClientOptions): ExchangeClient {
  let discovered: Promise<client.Configuration> | undefined;

  /** The vault's fetch with the caller's signal wired in; `sent` records the secrets each request carries. */
  const fetchFor =
    (signal: AbortSignal | undefined, sent?: SentSecrets): client.CustomFetch =>
    (url, init) => {
      sent?.record(init as RequestInit);
      return options.fetch(url, signal ? { ...init, signal: combine(init.signal, signal) } : init);
    };

  function discover(signal: AbortSignal | undefined): Promise<client.Configuration> {
    discovered ??= client
      .discovery(new URL(options.issuer), options.clientId, undefined, options.clientAuthentication, {
        [client.customFetch]: fetchFor(undefined),
        timeout: options.timeoutMs / 1000,
        ...(options.allowInsecureRequests ? { execute: [client.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      });
    return signal ? raceAbort(discovered, signal) : discovered;
  }

  /** A configuration for one request: the discovered metadata, with this caller's signal wired into fetch. */
  function configurationFor(
    base: client.Configuration,
    signal: AbortSignal | undefined,
    sent: SentSecrets,
  ): client.Configuration {
    const configuration = new client.Configuration(
      base.serverMetadata(),
      options.clientId,
      undefined,
      options.clientAuthentication,
    );
    configuration.timeout = options.timeoutMs / 1000;
    configuration[client.customFetch] = fetchFor(signal, sent);
    if (options.allowInsecureRequests) client.allowInsecureRequests(configuration);
    return configuration;
  }

  async function attempt(
    request: ExchangeRequest,
    signal: AbortSignal | undefined,
    sent: SentSecrets,
  ): Promise<IssuedToken> {
    let discoveredConfiguration: client.Configuration;
    try {
      discoveredConfiguration = await discover(signal);
    } catch (error) {
      throw new DiscoveryFailed(options.issuer, error);
    }
    const configuration = configurationFor(discoveredConfiguration, signal, sent);
    const { grantType, parameters } = exchangeParameters(options.dialect, request);
    const response = await client.genericGrantRequest(configuration, grantType, parameters);
    if (typeof response.access_token !== 'string' || response.access_token.length === 0) {
      throw new UnusableResponse('the token endpoint response has no access_token');
    }
    if (response.token_type?.toLowerCase() !== 'bearer') {
      // A DPoP-bound or `N_A` token cannot be used as a bearer token by the tool: refuse it.
      throw new UnusableResponse(
        `the token endpoint issued an unusable token_type '${String(response.token_type)}'`,
      );
    }
    const granted =
      typeof response.scope === 'string' ? response.scope.split(' ').filter(Boolean) : undefined;
    return {
      accessToken: response.access_token,
      expiresIn: typeof response.expires_in === 'number' ? response.expires_in : undefined,
      scopes: granted ?? [...request.scopes],
    };
  }

  return {
    async exchange(request, signal) {
      const attempts = options.retries + 1;
      // Everything secret this exchange sends, so no server text that echoes it reaches an error or the audit log.
      const sent = new SentSecrets([request.subjectToken, options.clientSecret]);
      for (let number = 1; ; number += 1) {
        try {
          return await attempt(request, signal, sent);
        } catch (error) {
          const failed = toExchangeFailed(options.dialect, request.connection, error, signal, number, sent);
          if (failed.failure !== 'unavailable' || number >= attempts) throw failed;
          await sleep(BACKOFF_BASE_MS * 2 ** (number - 1), signal).catch(() => {
            throw toExchangeFailed(options.dialect, request.connection, signal?.reason, signal, number, sent);
          });
        }
      }
    },
  };
}

/**
 * Turns whatever `openid-client` or fetch threw into a classified, redacted {@link TokenExchangeFailed}: the one place
 * where server text (`error`, `error_description`, a `WWW-Authenticate` challenge, library messages) becomes vault
 * text. Every value in `sent` — what this client sent — is masked in the message, the description and the cause
 * chain, whether or not it looks like a token.
 */
export function toExchangeFailed(
  dialect: Dialect,
  connection: string,
  thrown: unknown,
  signal: AbortSignal | undefined,
  attempts: number,
  sent: SentSecrets,
): TokenExchangeFailed {
  const phase = thrown instanceof DiscoveryFailed ? `discovery of ${thrown.issuer}: ` : '';
  const error = thrown instanceof DiscoveryFailed ? thrown.cause : thrown;
  // TokenExchangeFailed keeps only a reduced copy of `error` as its cause: openid-client's own error may carry the whole
  // token response body (the issued token with it) when one field of it is malformed.
  const base = { connection, attempts, cause: sent.scrubCause(error) };
  const describe = (failure: TokenExchangeFailure, what: string, extra: Partial<TokenExchangeFailed> = {}) =>
    new TokenExchangeFailed(
      sent.scrub(
        `token exchange for connection '${connection}' (${dialect}) failed: ${phase}${what}` +
          (attempts > 1 ? ` after ${attempts} attempts` : ''),
      ),
      { ...base, failure, ...stripUndefined(scrubFacts(extra, sent)) },
    );
  if (signal?.aborted) return describe('aborted', 'the caller aborted it');
  if (error instanceof client.ResponseBodyError) {
    const description = typeof error.error_description === 'string' ? error.error_description : '';
    const failure = classifyOAuthError(error.error, description, error.status);
    return describe(
      failure,
      `${error.error}${description ? ` (${description})` : ''} [HTTP ${error.status}]${hintFor(error.error, dialect)}`,
      {
        error: error.error,
        ...(description ? { errorDescription: description } : {}),
        status: error.status,
      },
    );
  }
  if (error instanceof client.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0];
    const code = challenge?.parameters.error ?? 'invalid_client';
    const description = challenge?.parameters.error_description ?? '';
    return describe(
      classifyOAuthError(code, description, error.status),
      `${code}${description ? ` (${description})` : ''} [HTTP ${error.status}]${hintFor(code, dialect)}`,
      { error: code, ...(description ? { errorDescription: description } : {}), status: error.status },
    );
  }
  if (error instanceof client.ClientError) {
    if (error.code === 'OAUTH_TIMEOUT') return describe('unavailable', 'the authorization server timed out');
    if (error.code === 'OAUTH_ABORT') return describe('aborted', 'the request was aborted');
    const status = error.cause instanceof Response ? error.cause.status : undefined;
    if (status !== undefined) {
      return describe(status >= 500 ? 'unavailable' : 'failed', `unexpected HTTP status ${status}`, {
        status,
      });
    }
    return describe('failed', error.message);
  }
  // fetch reports network failures (refused, reset, DNS) as a TypeError; openid-client's own TypeErrors carry a code.
  if (error instanceof TypeError && (error as { code?: unknown }).code === undefined) {
    return describe('unavailable', `the authorization server could not be reached (${error.message})`);
  }
  return describe('failed', describeThrown(error));
}

/** What to check for OAuth errors that connecting the account again would not fix. */
function hintFor(code: string, dialect: Dialect): string {
  switch (code) {
    case 'invalid_client':
    case 'unauthorized_client':
      return ': check clientId and clientSecret / privateKeyJwt, and that the client may use token exchange';
    case 'unsupported_grant_type':
      return `: the server does not take the '${dialect}' grant; check the dialect option`;
    case 'invalid_target':
      return ': the server knows no such connection (check its name)';
    case 'invalid_scope':
      return ': the connection does not offer one of the requested scopes';
    default:
      return '';
  }
}

/** The server's `error` and `error_description` with what this client sent masked. */
function scrubFacts(extra: Partial<TokenExchangeFailed>, sent: SentSecrets): Partial<TokenExchangeFailed> {
  return {
    ...extra,
    ...(extra.error === undefined ? {} : { error: sent.scrub(extra.error) }),
    ...(extra.errorDescription === undefined ? {} : { errorDescription: sent.scrub(extra.errorDescription) }),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as Partial<T>;
}

function combine(timeout: AbortSignal | undefined, caller: AbortSignal): AbortSignal {
  return timeout ? AbortSignal.any([timeout, caller]) : caller;
}

/** The server answered, but not with a token a tool can use. Not retried. */
class UnusableResponse extends Error {
  override readonly name = 'UnusableResponse';
}

/** Marks a failure of the discovery step, so the message says which step failed. */
class DiscoveryFailed extends Error {
  override readonly name = 'DiscoveryFailed';
  constructor(
    readonly issuer: string,
    cause: unknown,
  ) {
    super('discovery failed', { cause });
  }
}
