import { AgentGateError } from '@agentgate/core';
import { AuthorizationResponseError, ResponseBodyError } from 'openid-client';
import { LoginFailed, type LoginFailureReason } from '../errors';

/**
 * Turns what `openid-client` threw during `step` into a `LoginFailed` (or passes AgentGate errors and aborts through).
 * The message names the step and the OAuth error code, never a token or secret. `LoginFailed` keeps only a reduced
 * copy of `error` as its cause: `openid-client` attaches the whole token response (`cause: { body }`, with the issued
 * tokens) when one of its fields is malformed.
 */
export function fromOidcError(step: string, error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted && error === signal.reason) return error;
  if (AgentGateError.isInstance(error)) return error;
  const reason = reasonOf(error);
  const detail =
    error instanceof ResponseBodyError || error instanceof AuthorizationResponseError
      ? `${error.error}${error.error_description ? ` (${error.error_description})` : ''}`
      : messagesOf(error).join(': ');
  return new LoginFailed(reason, `${step} failed: ${detail}`, { cause: error });
}

function reasonOf(error: unknown): LoginFailureReason {
  if (error instanceof ResponseBodyError || error instanceof AuthorizationResponseError) return error.error;
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
  return messages.length === 0 ? [String(error)] : messages;
}
