import { AgentGateError, GateDenied } from '@agentgate/core';

/**
 * A store failure in the words of a denial or an audit reason: the error's code and reason
 * (`STORE_UNAVAILABLE (timeout)`), never its message — a client's message can name the Redis host and port, and the
 * model reads denials. The error itself stays the denial's `cause`, for the application's logs.
 */
export function describeStoreFailure(error: unknown): string {
  if (AgentGateError.isInstance(error)) {
    const reason = (error.details as { readonly reason?: unknown } | undefined)?.reason;
    return typeof reason === 'string' ? `${error.code}: ${reason}` : error.code;
  }
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : 'an unexpected error';
}

/**
 * Runs one store operation of guard `guard`; any failure (an outage, or a `TypeError`: a bug, ours or the store's)
 * denies `GUARD_FAILED` in the words of {@link describeStoreFailure}, with the error as its cause.
 */
export async function fromStore<T>(guard: string, what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new GateDenied('GUARD_FAILED', `${guard}: the ${what} failed (${describeStoreFailure(error)})`, {
      guard,
      cause: error,
    });
  }
}
