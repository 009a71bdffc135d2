import { describeThrown, type SentSecrets } from '@agentgate/core';
import {
  FgaApiAuthenticationError,
  FgaApiError,
  FgaApiInternalError,
  FgaApiNotFoundError,
  FgaApiRateLimitExceededError,
  FgaApiValidationError,
  FgaError,
  FgaValidationError,
} from '@openfga/sdk';
import { type FgaFailureReason, type FgaOperation, FgaRequestFailed } from '../errors';
import { MalformedAnswer } from './transport';

/**
 * Turns whatever a transport threw into an `FgaRequestFailed` that says why: the caller's abort, our deadline, the
 * SDK's error classes (after its retries), fga-local's engine errors, a malformed answer. The server's text is kept
 * bounded (core's `boundServerText`) and with the configured credentials masked, in the message and the cause.
 */
export function toRequestFailure(
  operation: FgaOperation,
  error: unknown,
  signals: { caller: AbortSignal | undefined; deadline: AbortSignal | undefined },
  secrets: SentSecrets,
): FgaRequestFailed {
  if (FgaRequestFailed.isInstance(error)) return error;
  const [reason, status] = classify(error, signals);
  const text = secrets.scrub(describeThrown(error));
  return new FgaRequestFailed(operation, reason, text || 'no detail', {
    cause: secrets.scrubCause(error),
    ...(status === undefined ? {} : { status }),
  });
}

/** The caller's signal fired while it waited (also for an answer another caller's request is fetching). */
export function abortedFailure(operation: FgaOperation): FgaRequestFailed {
  return new FgaRequestFailed(operation, 'aborted', 'the caller aborted');
}

/**
 * The audit reason of a failure: its operation, reason and status only — never the server's text, which may echo
 * object ids or tuples.
 */
export function auditReason(failure: {
  operation?: unknown;
  reason?: unknown;
  status?: unknown;
  code?: unknown;
}): string {
  const operation = typeof failure.operation === 'string' ? failure.operation : 'operation';
  const reason = typeof failure.reason === 'string' ? failure.reason : String(failure.code ?? 'failed');
  const status = typeof failure.status === 'number' ? `, status ${failure.status}` : '';
  const what = operation === 'retrieve' ? 'the retriever' : `FGA ${operation}`;
  return `${what} failed (${reason}${status})`;
}

function classify(
  error: unknown,
  signals: { caller: AbortSignal | undefined; deadline: AbortSignal | undefined },
): [FgaFailureReason, number | undefined] {
  if (signals.caller?.aborted) return ['aborted', undefined];
  if (signals.deadline?.aborted) return ['timeout', undefined];
  if (error instanceof MalformedAnswer) return ['malformed_response', undefined];
  const status = statusOf(error);
  if (error instanceof FgaApiInternalError) return ['server_error', status];
  if (error instanceof FgaApiRateLimitExceededError) return ['rate_limited', status];
  if (error instanceof FgaApiAuthenticationError) return ['unauthenticated', status];
  if (error instanceof FgaApiValidationError || error instanceof FgaApiNotFoundError)
    return ['rejected', status];
  if (error instanceof FgaValidationError) return ['rejected', undefined];
  if (error instanceof FgaApiError) {
    if (status === undefined) return ['unreachable', undefined];
    return [status >= 500 ? 'server_error' : 'rejected', status];
  }
  if (isEngineError(error)) return [error.httpStatus >= 500 ? 'failed' : 'rejected', undefined];
  if (error instanceof FgaError) return ['unreachable', undefined]; // the SDK's wrapper of a network error
  // axios gives a 2xx answer with a body that is not JSON to the SDK as a string: what it then reads is undefined.
  if (error instanceof TypeError) return ['malformed_response', undefined];
  return ['failed', undefined];
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** fga-local's `FgaError` (`code`, `numericCode`, `httpStatus`), recognised by shape: it is an optional peer. */
function isEngineError(error: unknown): error is Error & { httpStatus: number } {
  return (
    error instanceof Error &&
    typeof (error as { numericCode?: unknown }).numericCode === 'number' &&
    typeof (error as { httpStatus?: unknown }).httpStatus === 'number'
  );
}
