import { type AgentGateErrorOptions, GateDenied, safeCause } from '@agentgate/core';

/**
 * Why a request to the FGA server failed. Open: later versions may add reasons.
 *
 * - `unreachable`: no connection (refused, reset, DNS), after the SDK's retries
 * - `timeout`: no answer within `timeoutMs` (the retries included)
 * - `aborted`: the caller's `AbortSignal` fired
 * - `server_error`: 5xx after the SDK's retries
 * - `rate_limited`: 429 after the SDK's retries
 * - `unauthenticated`: 401 / 403 (wrong API token or client credentials)
 * - `rejected`: 400 / 404 — the server refused the question (unknown type or relation, invalid tuple, unknown store)
 * - `malformed_response`: an answer that is not what OpenFGA sends (not a boolean, missing items, wrong object type)
 * - `retriever_failed`: `retrieveDocuments`' own retriever (`fetch`) threw or returned something that is not an array
 * - `failed`: anything else
 */
export type FgaFailureReason =
  | 'unreachable'
  | 'timeout'
  | 'aborted'
  | 'server_error'
  | 'rate_limited'
  | 'unauthenticated'
  | 'rejected'
  | 'malformed_response'
  | 'retriever_failed'
  | 'failed'
  | (string & {});

/** The authorizer operation that failed; `retrieve` is `retrieveDocuments`' call of your retriever. */
export type FgaOperation = 'check' | 'batchCheck' | 'listObjects' | 'write' | 'deleteTuples' | 'retrieve';

const MARKER = Symbol.for('agentgate.fga.request-failed');

/**
 * A question to the FGA server could not be answered, so nothing was allowed (fail closed). A `GateDenied` with code
 * `GUARD_FAILED` and `details` `{ operation, reason, status? }`: a guard that throws it denies the tool call, and
 * `filterDocuments` returns it with no documents. Its `cause` chain keeps only the name, code, message and status of
 * the SDK errors behind it — never a response body or a request's headers.
 *
 * @example if (FgaRequestFailed.isInstance(error) && error.reason === 'timeout') retryLater();
 */
export class FgaRequestFailed extends GateDenied<'GUARD_FAILED'> {
  readonly reason: FgaFailureReason;
  readonly operation: FgaOperation;
  /** The HTTP status of the last answer, when there was one. */
  readonly status: number | undefined;
  readonly [MARKER] = true;

  constructor(
    operation: FgaOperation,
    reason: FgaFailureReason,
    message: string,
    options: AgentGateErrorOptions & { status?: number } = {},
  ) {
    const { status, cause, ...rest } = options;
    const safe = safeCause(cause);
    const what = operation === 'retrieve' ? 'the retriever' : `FGA ${operation}`;
    super('GUARD_FAILED', `${what} failed (${reason}): ${message}`, {
      ...rest,
      ...(safe === undefined ? {} : { cause: safe }),
      details: { ...rest.details, operation, reason, ...(status === undefined ? {} : { status }) },
    });
    this.reason = reason;
    this.operation = operation;
    this.status = status;
  }

  /** True for an `FgaRequestFailed`, also one thrown by another installed copy of this package. */
  static override isInstance(value: unknown): value is FgaRequestFailed {
    try {
      return (
        typeof value === 'object' && value !== null && (value as { [MARKER]?: unknown })[MARKER] === true
      );
    } catch {
      return false;
    }
  }
}
