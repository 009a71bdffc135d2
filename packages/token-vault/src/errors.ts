import { redactSecrets, SAFE_CAUSE, safeCause } from '@agentgate/core';

const MARKER = Symbol.for('agentgate.token-vault.exchange-failed');

/** Why an exchange failed, as the vault classified it. */
export type TokenExchangeFailure =
  /** The user has no connected account for the connection, or it was revoked. */
  | 'not_connected'
  /** The connected account lacks scopes the call needs. */
  | 'missing_scopes'
  /** The subject token is invalid, expired, or belongs to another user. */
  | 'invalid_subject'
  /** The server answered 5xx, timed out, or could not be reached (after the retries). */
  | 'unavailable'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** Anything else: a client misconfiguration, a malformed response. */
  | 'failed';

/** What the authorization server said, when it said anything. */
export interface TokenExchangeFailedOptions {
  connection: string;
  failure: TokenExchangeFailure;
  /** OAuth `error` code from the response body (`invalid_grant`, `invalid_client`, …). */
  error?: string;
  /** OAuth `error_description` from the response body or challenge (redacted; the vault masks what it sent). */
  errorDescription?: string;
  /** HTTP status of the token endpoint's response. */
  status?: number;
  /** How many requests were sent (1 + retries used). */
  attempts?: number;
  /** What went wrong underneath; kept reduced to its name, code, message, status and OAuth error (see below). */
  cause?: unknown;
}

/**
 * A token exchange for a connection failed. It is the `cause` of the `GateDenied` / `GateInterrupt` the vault throws
 * and keeps what the server said (`error`, `errorDescription`, `status`). It never holds a token: the message and the
 * description are redacted, and its `cause` chain is a reduced copy of the library errors behind it (name, code,
 * message, status, OAuth `error` / `error_description`) — never a response body, which `openid-client` attaches
 * with the issued tokens in it when a field of a token response is malformed.
 * `TokenExchangeFailed.isInstance(value)` works across two installed copies.
 */
export class TokenExchangeFailed extends Error {
  override readonly name = 'TokenExchangeFailed';
  readonly connection: string;
  readonly failure: TokenExchangeFailure;
  readonly error: string | undefined;
  readonly errorDescription: string | undefined;
  readonly status: number | undefined;
  readonly attempts: number;
  readonly [MARKER] = true;
  /** Its own message and cause chain are already reduced, so AgentGate errors keep it whole as their cause. */
  readonly [SAFE_CAUSE] = true;

  constructor(message: string, options: TokenExchangeFailedOptions) {
    const cause = safeCause(options.cause);
    super(redactSecrets(message), cause === undefined ? undefined : { cause });
    this.connection = options.connection;
    this.failure = options.failure;
    this.error = options.error;
    this.errorDescription =
      options.errorDescription === undefined ? undefined : redactSecrets(options.errorDescription);
    this.status = options.status;
    this.attempts = options.attempts ?? 1;
  }

  /** JSON-safe facts for error details and audit: never a token. */
  toDetails(): Record<string, unknown> {
    return {
      connection: this.connection,
      failure: this.failure,
      ...(this.error === undefined ? {} : { error: this.error }),
      ...(this.errorDescription === undefined ? {} : { errorDescription: this.errorDescription }),
      ...(this.status === undefined ? {} : { status: this.status }),
      attempts: this.attempts,
    };
  }

  static isInstance(value: unknown): value is TokenExchangeFailed {
    return typeof value === 'object' && value !== null && (value as { [MARKER]?: unknown })[MARKER] === true;
  }
}
