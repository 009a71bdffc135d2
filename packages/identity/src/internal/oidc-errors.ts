import type { SentSecrets } from '@agentgate/core';
import { AgentGateError, describeThrown } from '@agentgate/core';
import { AuthorizationResponseError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';
import { LoginFailed, type LoginFailureReason } from '../errors';

/**
 * Turns what `openid-client` threw during `step` into a `LoginFailed` (or passes AgentGate errors and aborts through).
 * The message names the step and the provider's OAuth error and description — with every value in `sent` (what the
 * client sent: tokens, code, code verifier, client secret, client assertion) masked, whether or not it looks like a
 * token, since a provider may quote them back. `LoginFailed` keeps only a reduced, equally masked copy of `error` as
 * its cause: `openid-client` attaches the whole token response (`cause: { body }`, with the issued tokens) when one of
 * its fields is malformed.
 */
export function fromOidcError(
  step: string,
  error: unknown,
  signal: AbortSignal | undefined,
  sent: SentSecrets,
): unknown {
  if (signal?.aborted && error === signal.reason) return error;
  if (AgentGateError.isInstance(error)) return error;
  const oauth = oauthErrorOf(error);
  const reason = oauth === undefined ? reasonOf(error) : sent.scrub(oauth.error);
  const detail =
    oauth === undefined
      ? messagesOf(error).join(': ')
      : `${oauth.error}${oauth.description ? ` (${oauth.description})` : ''}${oauth.status === undefined ? '' : ` [HTTP ${oauth.status}]`}`;
  return new LoginFailed(reason, sent.scrub(`${step} failed: ${detail}`), { cause: sent.scrubCause(error) });
}

/** The OAuth `error` and `error_description` of an error body, an authorization response or a challenge. */
function oauthErrorOf(error: unknown): { error: string; description?: string; status?: number } | undefined {
  if (error instanceof ResponseBodyError || error instanceof AuthorizationResponseError) {
    return {
      error: error.error,
      ...(error.error_description ? { description: error.error_description } : {}),
      ...(error instanceof ResponseBodyError ? { status: error.status } : {}),
    };
  }
  if (error instanceof WWWAuthenticateChallengeError) {
    const parameters = error.cause[0]?.parameters ?? {};
    return {
      error: parameters.error ?? 'invalid_client',
      ...(parameters.error_description ? { description: parameters.error_description } : {}),
      status: error.status,
    };
  }
  return undefined;
}

function reasonOf(error: unknown): LoginFailureReason {
  if (!(error instanceof Error)) return 'invalid_response';
  const code = (error as { code?: unknown }).code;
  const messages = messagesOf(error).join(' ');
  if (messages.includes('"state"')) return 'state';
  if (messages.includes('"nonce"')) return 'nonce';
  if (code === 'OAUTH_TIMEOUT' || error.name === 'TimeoutError' || error.message === 'fetch failed') {
    return 'unavailable';
  }
  if (typeof code === 'string' && code.startsWith('OAUTH_JWT')) return 'id_token';
  if (error.cause instanceof Error && (error.cause as { code?: unknown }).code === 'ECONNREFUSED')
    return 'unavailable';
  return 'invalid_response';
}

/** The messages of an error and its causes (openid-client wraps the precise one), de-duplicated. */
function messagesOf(error: unknown): string[] {
  const messages: string[] = [];
  for (
    let current = error, depth = 0;
    current instanceof Error && depth < 4;
    current = current.cause, depth++
  ) {
    if (!messages.includes(current.message)) messages.push(current.message);
  }
  return messages.length === 0 ? [describeThrown(error)] : messages;
}
