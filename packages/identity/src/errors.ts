import { type AgentGateErrorOptions, GateDenied, safeCause } from '@agentgate/core';

/** Why an access token was refused. Open: later versions may add reasons. */
export type TokenRejectionReason =
  | 'malformed'
  | 'too_large'
  | 'algorithm'
  | 'typ'
  | 'signature'
  | 'unknown_key'
  | 'jwks'
  | 'discovery'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  | 'claims'
  | 'inactive'
  | (string & {});

/** Why a login, a refresh or an introspection failed. Open: the server's OAuth error code when it sent one. */
export type LoginFailureReason =
  | 'state'
  | 'nonce'
  | 'id_token'
  | 'subject_mismatch'
  | 'invalid_grant'
  | 'access_denied'
  | 'login_required'
  | 'server_error'
  | 'unavailable'
  | 'missing_refresh_token'
  | (string & {});

const TOKEN_MARKER = Symbol.for('agentgate.identity.token-verification-failed');
const LOGIN_MARKER = Symbol.for('agentgate.identity.login-failed');

/**
 * An access token was refused: there is no session. A `GateDenied` with code `NO_SESSION` and `details.reason` saying
 * why (`expired`, `issuer`, `signature`, …). Its message never contains the token, and its `cause` chain keeps only
 * the name, code, message and status of the library errors behind it.
 *
 * @example if (TokenVerificationFailed.isInstance(error) && error.reason === 'expired') refreshAndRetry();
 */
export class TokenVerificationFailed extends GateDenied<'NO_SESSION'> {
  readonly reason: TokenRejectionReason;
  readonly [TOKEN_MARKER] = true;

  constructor(reason: TokenRejectionReason, message: string, options: AgentGateErrorOptions = {}) {
    super('NO_SESSION', `access token rejected (${reason}): ${message}`, {
      ...withSafeCause(options),
      details: { ...options.details, reason },
    });
    this.reason = reason;
  }

  /** True for a `TokenVerificationFailed`, also one thrown by another installed copy of this package. */
  static override isInstance(value: unknown): value is TokenVerificationFailed {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [TOKEN_MARKER]?: unknown })[TOKEN_MARKER] === true
    );
  }
}

/**
 * An OIDC step failed (callback, refresh, introspection): there is no session. A `GateDenied` with code `NO_SESSION`
 * and `details.reason` (`state`, `invalid_grant`, `unavailable`, …). Its message never contains a token or secret, and
 * its `cause` chain keeps only the name, code, message, status and OAuth `error` / `error_description` of the library
 * errors behind it — never a response body (which may hold the issued tokens).
 */
export class LoginFailed extends GateDenied<'NO_SESSION'> {
  readonly reason: LoginFailureReason;
  readonly [LOGIN_MARKER] = true;

  constructor(reason: LoginFailureReason, message: string, options: AgentGateErrorOptions = {}) {
    super('NO_SESSION', message, { ...withSafeCause(options), details: { ...options.details, reason } });
    this.reason = reason;
  }

  /** True for a `LoginFailed`, also one thrown by another installed copy of this package. */
  static override isInstance(value: unknown): value is LoginFailed {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [LOGIN_MARKER]?: unknown })[LOGIN_MARKER] === true
    );
  }
}

/** The options with their `cause` reduced to a safe chain (see `safeCause`). */
function withSafeCause(options: AgentGateErrorOptions): AgentGateErrorOptions {
  if (options.cause === undefined) return options;
  const { cause, ...rest } = options;
  const safe = safeCause(cause);
  return safe === undefined ? rest : { ...rest, cause: safe };
}
