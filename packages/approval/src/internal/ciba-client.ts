import { describeThrown, raceAbort, SentSecrets } from '@agentgate/core';
import * as client from 'openid-client';
import { type ApprovalFailureStage, ApprovalRequestFailed } from '../errors';
import type { AuthorizationDetail } from '../types';
import type { ResolvedCiba } from './options';
import { createTokenChecker, type TokenChecker } from './token-check';

/** What a backchannel request returned, as the record keeps it. */
export interface Initiated {
  /** A bearer handle: stored, never logged. */
  authReqId: string;
  expiresIn: number;
  interval: number;
}

/** How one poll loop ended. */
export type PollOutcome =
  | { type: 'approved'; accessToken: string; authorizationDetails: AuthorizationDetail[] }
  | { type: 'denied'; reason: string }
  | { type: 'expired'; reason: string }
  | { type: 'untrusted'; reason: string }
  | { type: 'failed'; failure: ApprovalRequestFailed };

export interface InitiateRequest {
  loginHint: string;
  scopes: readonly string[];
  audience: string;
  bindingMessage: string;
  details: readonly AuthorizationDetail[];
  requestedExpiry: number;
  signal: AbortSignal | undefined;
}

export interface PollRequest {
  authReqId: string;
  /** Epoch ms. */
  expiresAt: number;
  interval: number;
  audience: string;
  expectedSub: string;
  details: readonly AuthorizationDetail[];
  signal: AbortSignal;
}

/** OpenID CIBA (poll mode) through `openid-client`; the returned token is checked with `jose`. */
export interface CibaClient {
  initiate(request: InitiateRequest): Promise<Initiated>;
  /** Polls until the provider decides, honouring `interval`, `slow_down` (+5 s) and `signal`. Rejects only on abort. */
  poll(request: PollRequest): Promise<PollOutcome>;
}

export function createCibaClient(options: ResolvedCiba, now: () => number): CibaClient {
  let discovered: Promise<client.Configuration> | undefined;
  let checker: TokenChecker | undefined;

  const fetchFor =
    (sent?: SentSecrets): client.CustomFetch =>
    (url, init) => {
      sent?.record(init as RequestInit);
      return options.fetch(url, init);
    };

  async function discover(signal: AbortSignal | undefined): Promise<client.Configuration> {
    discovered ??= client
      .discovery(new URL(options.issuer), options.clientId, undefined, options.clientAuthentication, {
        [client.customFetch]: fetchFor(),
        timeout: options.timeoutMs / 1000,
        ...(options.allowInsecureRequests ? { execute: [client.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        discovered = undefined; // not cached: the next request tries again
        throw error;
      });
    try {
      return await raceAbort(discovered, signal);
    } catch (error) {
      throw new StageError('discovery', error);
    }
  }

  /** A configuration for one operation: the discovered metadata, with `sent` recording every secret it sends. */
  async function configurationFor(signal: AbortSignal | undefined, sent: SentSecrets) {
    const base = await discover(signal);
    const configuration = new client.Configuration(
      base.serverMetadata(),
      options.clientId,
      undefined,
      options.clientAuthentication,
    );
    configuration.timeout = options.timeoutMs / 1000;
    configuration[client.customFetch] = fetchFor(sent);
    if (options.allowInsecureRequests) client.allowInsecureRequests(configuration);
    checker ??= createTokenChecker(base.serverMetadata(), options, now);
    return { configuration, checker };
  }

  return {
    async initiate(request) {
      const sent = new SentSecrets([options.clientSecret]);
      try {
        const { configuration } = await configurationFor(request.signal, sent);
        const parameters: Record<string, string> = {
          scope: request.scopes.join(' '),
          login_hint: request.loginHint,
          binding_message: request.bindingMessage,
          authorization_details: JSON.stringify(request.details),
          requested_expiry: String(request.requestedExpiry),
          audience: request.audience,
        };
        const started = await raceAbort(
          client.initiateBackchannelAuthentication(configuration, parameters),
          request.signal,
        );
        sent.add(started.auth_req_id);
        const interval = typeof started.interval === 'number' && started.interval > 0 ? started.interval : 5;
        return { authReqId: started.auth_req_id, expiresIn: started.expires_in, interval };
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason;
        throw toFailure('request', error, sent);
      }
    },

    async poll(request) {
      const sent = new SentSecrets([options.clientSecret, request.authReqId]);
      let tokens: client.TokenEndpointResponse;
      let check: TokenChecker;
      try {
        const { configuration, checker: tokenChecker } = await configurationFor(request.signal, sent);
        check = tokenChecker;
        const started: client.BackchannelAuthenticationResponse = {
          auth_req_id: request.authReqId,
          expires_in: Math.max(1, Math.ceil((request.expiresAt - now()) / 1000)),
          interval: request.interval,
        };
        // Raced against the signal too: openid-client notices an abort only between its waits (up to 5 s).
        tokens = await raceAbort(
          client.pollBackchannelAuthenticationGrant(configuration, started, undefined, {
            signal: request.signal,
          }),
          request.signal,
        );
      } catch (error) {
        if (request.signal.aborted) throw request.signal.reason;
        const cause = error instanceof StageError ? error.cause : error;
        if (cause instanceof client.ResponseBodyError) {
          if (cause.error === 'access_denied')
            return { type: 'denied', reason: 'the user denied the request' };
          if (cause.error === 'expired_token')
            return { type: 'expired', reason: 'the request expired undecided' };
        }
        return {
          type: 'failed',
          failure: toFailure(error instanceof StageError ? error.stage : 'poll', cause, sent),
        };
      }
      sent.add(tokens.access_token);
      const verdict = await check.check({
        accessToken: tokens.access_token,
        responseDetails: tokens.authorization_details,
        audience: request.audience,
        expectedSub: request.expectedSub,
        details: request.details,
        signal: request.signal,
      });
      if (verdict.type === 'ok') {
        return {
          type: 'approved',
          accessToken: tokens.access_token,
          authorizationDetails: [...request.details],
        };
      }
      if (verdict.type === 'unavailable') {
        return { type: 'failed', failure: toFailure('verify', verdict.error, sent) };
      }
      return { type: 'untrusted', reason: sent.scrub(verdict.reason) };
    },
  };
}

/** Marks which step failed, so the message can say so. */
class StageError extends Error {
  constructor(
    readonly stage: ApprovalFailureStage,
    cause: unknown,
  ) {
    super(`${stage} failed`, { cause });
  }
}

/**
 * Turns what `openid-client` or fetch threw into a classified {@link ApprovalRequestFailed}: the one place where
 * server text becomes AgentGate text. Everything this client sent (client secret, `auth_req_id`, assertions) is
 * masked in the message, the description and the cause chain.
 */
export function toFailure(
  stage: ApprovalFailureStage,
  thrown: unknown,
  sent: SentSecrets,
): ApprovalRequestFailed {
  const error = thrown instanceof StageError ? thrown.cause : thrown;
  const actualStage = thrown instanceof StageError ? thrown.stage : stage;
  const what = {
    discovery: 'discovery',
    request: 'the backchannel request',
    poll: 'polling',
    verify: 'checking the token',
  }[actualStage];
  const describe = (
    text: string,
    facts: { transient: boolean; error?: string; errorDescription?: string; status?: number },
  ) =>
    new ApprovalRequestFailed(sent.scrub(`CIBA approval: ${what} failed: ${text}`), {
      stage: actualStage,
      cause: sent.scrubCause(error),
      ...facts,
      ...(facts.errorDescription === undefined
        ? {}
        : { errorDescription: sent.scrub(facts.errorDescription) }),
      ...(facts.error === undefined ? {} : { error: sent.scrub(facts.error) }),
    });
  if (error instanceof client.ResponseBodyError) {
    const description = typeof error.error_description === 'string' ? error.error_description : undefined;
    return describe(`${error.error}${description ? ` (${description})` : ''} [HTTP ${error.status}]`, {
      transient: error.status >= 500,
      error: error.error,
      ...(description === undefined ? {} : { errorDescription: description }),
      status: error.status,
    });
  }
  if (error instanceof client.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0];
    const code = challenge?.parameters.error ?? 'invalid_client';
    return describe(`${code} [HTTP ${error.status}]`, {
      transient: false,
      error: code,
      status: error.status,
    });
  }
  if (error instanceof client.ClientError) {
    if (error.code === 'OAUTH_TIMEOUT')
      return describe('the authorization server timed out', { transient: true });
    const status = error.cause instanceof Response ? error.cause.status : undefined;
    if (status !== undefined) {
      return describe(`unexpected HTTP status ${status}`, { transient: status >= 500, status });
    }
    return describe(error.message, { transient: error.code === 'OAUTH_ABORT' });
  }
  // fetch reports network failures (refused, reset, DNS) as a TypeError without a code.
  if (error instanceof TypeError && (error as { code?: unknown }).code === undefined) {
    return describe(`the authorization server could not be reached (${error.message})`, { transient: true });
  }
  return describe(describeThrown(error), { transient: false });
}
