import { AgentGateError, type StoreErrorCode } from '@agentgate/core';

/** The codes of `@agentgate/redis` errors; `switch (error.code)` narrows on them. */
export type RedisStoreErrorCode = StoreErrorCode;

/** Which store operation failed. */
export type StoreOperation = 'get' | 'put' | 'add' | 'delete' | 'take' | 'consume';

/** Why an operation got no answer it could use from Redis. */
export type StoreUnavailableReason =
  /** No answer within `timeoutMs` (Redis down, unreachable, overloaded, or the client is still reconnecting). */
  | 'timeout'
  /** The client is not connected and could not send the command, or the connection dropped. */
  | 'disconnected'
  /** Redis answered with an error (`NOAUTH`, `READONLY`, `OOM`, `WRONGTYPE`, `CLUSTERDOWN`, …). */
  | 'redis-error'
  /** `store.close()` was called. */
  | 'closed';

/** Why a stored value was refused instead of returned. */
export type StoreValueRejectedReason =
  /** Encrypted under a key id that none of `encryption.keys` has (a removed or a foreign key). */
  | 'unknown-key'
  /** The authentication tag did not verify: the value was edited, copied from another key, or the key is wrong. */
  | 'authentication-failed'
  /** The store encrypts, but the value is plain JSON: never trusted, since anyone with Redis access can write one. */
  | 'not-encrypted'
  /** The value is encrypted, but the store has no `encryption` option. */
  | 'no-keys'
  /** Neither valid JSON nor a well-formed ciphertext. */
  | 'malformed';

/**
 * Redis did not carry out the operation: it is down or unreachable, it did not answer within `timeoutMs`, it
 * answered with an error, or the store is closed. A guard that reads the store fails closed on it. The message says
 * what the store was doing; it never holds a key or a value. A write that timed out may still be carried out later by
 * the client (its outcome is unknown, as with any remote store).
 */
export class StoreUnavailable extends AgentGateError {
  static readonly code = 'STORE_UNAVAILABLE' as const;
  override readonly name = 'StoreUnavailable';
  readonly code = 'STORE_UNAVAILABLE' as const;
  declare readonly details: { readonly operation: StoreOperation; readonly reason: StoreUnavailableReason };

  constructor(
    operation: StoreOperation,
    reason: StoreUnavailableReason,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(`redis store: ${operation} failed: ${message}`, {
      cause: options.cause,
      details: { operation, reason },
    });
  }
}

/**
 * A stored value was refused instead of returned: it does not decrypt under any configured key, its authentication
 * failed (edited, or copied from another key), it is plain where the store encrypts, or it is not valid JSON. Never a
 * silent miss. `take` has already removed the value when it throws this.
 */
export class StoreValueRejected extends AgentGateError {
  static readonly code = 'STORE_VALUE_REJECTED' as const;
  override readonly name = 'StoreValueRejected';
  readonly code = 'STORE_VALUE_REJECTED' as const;
  declare readonly details: {
    readonly operation: StoreOperation;
    readonly reason: StoreValueRejectedReason;
    /** The key id the ciphertext names, when it names one (a key id is not secret). */
    readonly keyId?: string;
  };

  constructor(
    operation: StoreOperation,
    reason: StoreValueRejectedReason,
    message: string,
    options: { cause?: unknown; keyId?: string } = {},
  ) {
    super(`redis store: ${operation} refused the stored value: ${message}`, {
      cause: options.cause,
      details: { operation, reason, ...(options.keyId === undefined ? {} : { keyId: options.keyId }) },
    });
  }
}

/** A thrown `StoreUnavailable` or `StoreValueRejected` from any installed copy of `@agentgate/redis`; never throws. */
export function isRedisStoreError(value: unknown): value is StoreUnavailable | StoreValueRejected {
  try {
    if (!AgentGateError.isInstance(value)) return false;
    const code: unknown = value.code;
    return code === 'STORE_UNAVAILABLE' || code === 'STORE_VALUE_REJECTED';
  } catch {
    return false;
  }
}
