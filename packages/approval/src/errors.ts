import { redactSecrets, SAFE_CAUSE, safeCause } from '@agentgate/core';

const MARKER = Symbol.for('agentgate.approval.request-failed');

/** Which step of a CIBA approval failed. */
export type ApprovalFailureStage = 'discovery' | 'request' | 'poll' | 'verify';

/** What the provider said, when it said anything. */
export interface ApprovalRequestFailedOptions {
  stage: ApprovalFailureStage;
  /** `true` for a 5xx, a timeout or a network failure: the record stays pending and is polled again. */
  transient: boolean;
  /** OAuth `error` (`invalid_grant`, `invalid_binding_message`, …). */
  error?: string;
  /** OAuth `error_description`, with what this client sent masked. */
  errorDescription?: string;
  status?: number;
  cause?: unknown;
}

/**
 * A CIBA request, a poll or the check of the returned token failed. It is the `cause` of the `GateDenied` the guard
 * throws. It never holds a token, a client secret or an `auth_req_id`: server text is scrubbed of what the client
 * sent, and the cause chain is reduced (core's `safeCause`). `ApprovalRequestFailed.isInstance(value)` works across
 * two installed copies.
 */
export class ApprovalRequestFailed extends Error {
  override readonly name = 'ApprovalRequestFailed';
  readonly stage: ApprovalFailureStage;
  readonly transient: boolean;
  readonly error: string | undefined;
  readonly errorDescription: string | undefined;
  readonly status: number | undefined;
  readonly [MARKER] = true;
  readonly [SAFE_CAUSE] = true;

  constructor(message: string, options: ApprovalRequestFailedOptions) {
    const cause = safeCause(options.cause);
    super(redactSecrets(message), cause === undefined ? undefined : { cause });
    this.stage = options.stage;
    this.transient = options.transient;
    this.error = options.error;
    this.errorDescription =
      options.errorDescription === undefined ? undefined : redactSecrets(options.errorDescription);
    this.status = options.status;
  }

  /** JSON-safe facts for error details and audit: never a token. */
  toDetails(): Record<string, unknown> {
    return {
      stage: this.stage,
      transient: this.transient,
      ...(this.error === undefined ? {} : { error: this.error }),
      ...(this.errorDescription === undefined ? {} : { errorDescription: this.errorDescription }),
      ...(this.status === undefined ? {} : { status: this.status }),
    };
  }

  static isInstance(value: unknown): value is ApprovalRequestFailed {
    return typeof value === 'object' && value !== null && (value as { [MARKER]?: unknown })[MARKER] === true;
  }
}
