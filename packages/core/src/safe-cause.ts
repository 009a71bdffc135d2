import { redactSecrets } from './redact';
import { describeThrown } from './thrown';

/** Marks an error whose own message and cause chain are already safe to keep as a cause (AgentGate's own errors). */
export const SAFE_CAUSE = Symbol.for('agentgate.safe-cause');

const MAX_DEPTH = 5;

/**
 * A library error reduced to what is safe to keep in a cause chain: its name, code, message, HTTP status and the OAuth
 * `error` / `error_description`. What the library attached besides — `openid-client` puts the whole token response
 * body (with the issued access and refresh tokens) into `cause: { body }` when it finds one field malformed — is
 * dropped. Its own causes are reduced the same way; a cause that is not an error (a body, a `Response`) is dropped.
 */
export class SafeCause extends Error {
  readonly [SAFE_CAUSE] = true;
  declare readonly code?: string | number;
  declare readonly status?: number;
  declare readonly error?: string;
  declare readonly error_description?: string;

  constructor(original: Error, depth: number) {
    const inner = depth < MAX_DEPTH ? safeCause(original.cause, depth + 1) : undefined;
    super(redactSecrets(describeThrown(original)), inner === undefined ? undefined : { cause: inner });
    this.name = typeof original.name === 'string' ? original.name : 'Error';
    const { code, status, error, error_description } = original as {
      code?: unknown;
      status?: unknown;
      error?: unknown;
      error_description?: unknown;
    };
    const facts: Record<string, unknown> = {};
    if (typeof code === 'string' || typeof code === 'number') facts.code = code;
    if (typeof status === 'number') facts.status = status;
    if (typeof error === 'string') facts.error = redactSecrets(error);
    if (typeof error_description === 'string') facts.error_description = redactSecrets(error_description);
    Object.assign(this, facts);
    this.stack = typeof original.stack === 'string' ? redactSecrets(original.stack) : this.stack;
  }
}

/**
 * `error` as a {@link SafeCause} chain, for the `cause` of an AgentGate error (every `AgentGateError` applies it to its
 * own `cause`). Errors marked safe (AgentGate's own, already reduced) pass through; a thrown primitive keeps its
 * (redacted) text; any other non-error value is dropped (`undefined`).
 */
export function safeCause(error: unknown, depth = 0): Error | undefined {
  try {
    if (error instanceof Error && (error as { [SAFE_CAUSE]?: unknown })[SAFE_CAUSE] === true) return error;
    if (error instanceof Error) return new SafeCause(error, depth);
    if (typeof error === 'string' || typeof error === 'number' || typeof error === 'boolean') {
      return new SafeCause(new Error(String(error)), depth);
    }
    return undefined;
  } catch {
    // An error whose fields throw when read (a hostile proxy, a getter): keep that it happened, nothing of it.
    return new SafeCause(new Error('[an error that cannot be read]'), MAX_DEPTH);
  }
}
